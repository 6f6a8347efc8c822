using IotHub.City;

namespace IotHub.CitySim;

/// <summary>What a backfill writes and how.</summary>
/// <param name="Scenario">The city.</param>
/// <param name="Seed">Seed of the simulation.</param>
/// <param name="Start">First simulated minute written (inclusive).</param>
/// <param name="End">End of the history (exclusive).</param>
/// <param name="BatchBytes">Uncompressed line protocol per request; the hub accepts at most 32 MiB.</param>
/// <param name="Concurrency">Requests in flight at once.</param>
/// <param name="Gzip">Compress request bodies.</param>
/// <param name="Bucket">The bucket query parameter (the hub ignores it; InfluxDB needs one).</param>
/// <param name="DryRun">Generate and compress but send nothing: measures the generator alone.</param>
internal sealed record BackfillOptions(
    CityScenario Scenario,
    int Seed,
    DateTimeOffset Start,
    DateTimeOffset End,
    int BatchBytes,
    int Concurrency,
    bool Gzip,
    string Bucket,
    bool DryRun);
