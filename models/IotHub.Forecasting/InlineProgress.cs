namespace IotHub.Forecasting;

/// <summary>
/// Reports on the calling thread, in order (<see cref="Progress{T}"/> posts to the thread pool, so a
/// log of training steps could show them late or out of order).
/// </summary>
/// <typeparam name="T">What is reported.</typeparam>
/// <param name="report">Called with each report.</param>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc/>
    public void Report(T value) => report(value);
}
