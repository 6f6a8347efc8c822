using System.Reflection;

namespace IotHub.Hub;

/// <summary>The dashboard, a single self-contained page embedded in the assembly.</summary>
internal static class DashboardPage
{
    public static string Html { get; } = Load();

    private static string Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("IotHub.Hub.Dashboard.index.html")
            ?? throw new InvalidOperationException("The dashboard resource is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
