namespace IotHub.Edge.Tests;

/// <summary>Waits for a condition by polling, never by sleeping a fixed time.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"condition not met within {timeout.TotalSeconds:0} s. {describe?.Invoke()}");
            }

            await Task.Delay(100);
        }
    }
}
