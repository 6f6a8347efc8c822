namespace IotHub.Simulators;

/// <summary>
/// Deterministic pseudo-random numbers from a hash of (seed, stream, index, tick): sensor noise
/// that is a pure function of the simulated time, so readings do not depend on how often or in
/// which order devices are read.
/// </summary>
internal static class SensorNoise
{
    /// <summary>Uniform in [0, 1).</summary>
    public static double Uniform(int seed, int stream, int index, long tick)
    {
        ulong x = Mix((ulong)(uint)seed ^ ((ulong)(uint)stream << 32));
        x = Mix(x ^ (uint)index);
        x = Mix(x ^ (ulong)tick);
        return (x >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Approximately standard normal (Irwin-Hall sum of four uniforms, rescaled): bounded at about ±3.5.</summary>
    public static double Gaussian(int seed, int stream, int index, long tick)
    {
        double sum = 0;
        for (int i = 0; i < 4; i++)
        {
            sum += Uniform(seed, stream + (i * 7919), index, tick);
        }

        // Four U(0,1) have mean 2 and variance 1/3.
        return (sum - 2.0) * 1.7320508075688772;
    }

    /// <summary>A seed for <see cref="Random"/> derived from (seed, stream, index).</summary>
    public static int DerivedSeed(int seed, int stream, long index) =>
        (int)(Mix((ulong)(uint)seed ^ ((ulong)(uint)stream << 32) ^ Mix((ulong)index)) & int.MaxValue);

    // SplitMix64 finaliser: a bijective avalanche mix.
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
