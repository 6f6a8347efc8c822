using System.Text.Json;
using Microsoft.Playwright;

namespace IotHub.IntegrationTests;

/// <summary>The demo: a simulated city of every device kind flowing through the hub onto the dashboard.</summary>
public sealed class DemoTests
{
    private static readonly string[] Kinds = ["smart-pole", "river-gauge", "manhole", "train-car", "traffic-detector"];

    [Fact]
    public async Task Demo_AllFiveKindsPublishAndTheirValuesChange()
    {
        await using var hub = await HubProcess.StartAsync("demo");
        using var api = hub.CreateApiClient();

        using (var devicesFile = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(hub.DataDirectory, "devices.json"))))
        {
            var kindsInFile = devicesFile.RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("kind").GetString()).ToHashSet();
            Assert.All(Kinds, k => Assert.Contains(k, kindsInFile));
        }

        var first = await SnapshotWhenAllKindsReportAsync(api);
        Dictionary<string, string> second = [];
        await Poll.UntilAsync(
            async () =>
            {
                second = await SnapshotAsync(api);
                return Kinds.All(k => first.Where(p => p.Key.StartsWith(k + "|", StringComparison.Ordinal)).Any(p => second.TryGetValue(p.Key, out var v) && v != p.Value));
            },
            TimeSpan.FromSeconds(30),
            () => "values that did not change: " + string.Join(", ", Kinds.Where(k => !first.Where(p => p.Key.StartsWith(k + "|", StringComparison.Ordinal)).Any(p => second.TryGetValue(p.Key, out var v) && v != p.Value))));
    }

    [Fact]
    public async Task Dashboard_InChromium_ListsAllKindsAndRefreshesValues()
    {
        await using var hub = await HubProcess.StartAsync("demo");
        using var api = hub.CreateApiClient();
        await SnapshotWhenAllKindsReportAsync(api);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExternalTool.Find("chromium"),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(hub.DashboardUrl);

        foreach (var kind in Kinds)
        {
            await page.Locator($"section[data-kind='{kind}'] [data-device]").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        }

        var before = await page.Locator("main").InnerTextAsync();
        var refreshes = int.Parse(await page.Locator("body").GetAttributeAsync("data-refreshes") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        await page.WaitForFunctionAsync($"Number(document.body.dataset.refreshes) >= {refreshes + 3}", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        var after = await page.Locator("main").InnerTextAsync();

        Assert.NotEqual(before, after);
        Assert.Contains("Rivers", after, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hub unreachable", await page.Locator("#status").InnerTextAsync(), StringComparison.Ordinal);
        var screenshot = Path.Combine(hub.DataDirectory, "dashboard.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000);
    }

    /// <summary>kind|device|field -> value text, for every numeric or boolean field of every device.</summary>
    private static async Task<Dictionary<string, string>> SnapshotAsync(HttpClient api)
    {
        var latest = await api.GetJsonAsync("/api/v1/latest");
        var snapshot = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var device in latest.GetProperty("devices").EnumerateArray())
        {
            var kind = device.GetProperty("kind").GetString();
            foreach (var field in device.GetProperty("fields").EnumerateObject())
            {
                var value = field.Value.GetProperty("value");
                if (value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                {
                    snapshot[$"{kind}|{device.GetProperty("device").GetString()}|{field.Name}"] = value.GetRawText();
                }
            }
        }

        return snapshot;
    }

    private static async Task<Dictionary<string, string>> SnapshotWhenAllKindsReportAsync(HttpClient api)
    {
        Dictionary<string, string> snapshot = [];
        await Poll.UntilAsync(
            async () =>
            {
                snapshot = await SnapshotAsync(api);
                return Kinds.All(k => snapshot.Keys.Any(key => key.StartsWith(k + "|", StringComparison.Ordinal)));
            },
            TimeSpan.FromSeconds(60),
            () => "kinds reporting: " + string.Join(", ", snapshot.Keys.Select(k => k.Split('|')[0]).Distinct()));
        return snapshot;
    }
}
