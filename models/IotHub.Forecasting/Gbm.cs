using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace IotHub.Forecasting;

/// <summary>Fits and applies ML.NET tree ensembles on in-memory rows.</summary>
internal static class Gbm
{
    private static readonly Lock ProbeLock = new();
    private static TrainerKind? _available;

    /// <summary>LightGbm if its native library works here, else FastTree; probed once with a tiny fit.</summary>
    public static TrainerKind Resolve(TrainerKind requested)
    {
        if (requested != TrainerKind.Auto)
        {
            return requested;
        }

        lock (ProbeLock)
        {
            if (_available is { } known)
            {
                return known;
            }

            try
            {
                var ml = new MLContext(seed: 1);
                var x = new float[64][];
                var y = new float[64];
                for (int i = 0; i < x.Length; i++)
                {
                    x[i] = [i, i % 7];
                    y[i] = i % 5;
                }

                Fit(ml, x, y, TrainerKind.LightGbm, new GbmOptions(Iterations: 2, MinLeafCount: 2, Threads: 1));
                _available = TrainerKind.LightGbm;
            }
#pragma warning disable CA1031 // Any failure to load or run the native library means: use the managed learner.
            catch (Exception)
#pragma warning restore CA1031
            {
                _available = TrainerKind.FastTree;
            }

            return _available.Value;
        }
    }

    public static ITransformer Fit(MLContext ml, IReadOnlyList<float[]> features, IReadOnlyList<float> labels, TrainerKind kind, GbmOptions options)
    {
        int width = features.Count > 0 ? features[0].Length : 0;
        var rows = new FeatureRow[features.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = new FeatureRow { Features = features[i], Label = labels[i] };
        }

        var data = ml.Data.LoadFromEnumerable(rows, FeatureRow.Schema(width));
        IEstimator<ITransformer> trainer = Resolve(kind) == TrainerKind.LightGbm
            ? ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                NumberOfIterations = options.Iterations,
                NumberOfLeaves = options.Leaves,
                LearningRate = options.LearningRate,
                MinimumExampleCountPerLeaf = options.MinLeafCount,
                NumberOfThreads = options.Threads,
                Seed = 1,
                Deterministic = true,
                Silent = true,
                Verbose = false,
            })
            : ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
            {
                NumberOfTrees = options.Iterations,
                NumberOfLeaves = options.Leaves,
                LearningRate = options.LearningRate,
                MinimumExampleCountPerLeaf = options.MinLeafCount,
                NumberOfThreads = options.Threads,
            });
        return trainer.Fit(data);
    }

    public static DataViewSchema InputSchema(MLContext ml, int width) =>
        ml.Data.LoadFromEnumerable(Array.Empty<FeatureRow>(), FeatureRow.Schema(width)).Schema;

    /// <summary>Scores many rows at once through <see cref="ITransformer.Transform"/> (thread-safe, no prediction engine).</summary>
    public static double[] Predict(MLContext ml, ITransformer model, IReadOnlyList<float[]> features, int width)
    {
        var rows = new FeatureRow[features.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = new FeatureRow { Features = features[i] };
        }

        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows, FeatureRow.Schema(width)));
        var result = new double[rows.Length];
        int n = 0;
        foreach (float score in scored.GetColumn<float>("Score"))
        {
            result[n++] = score;
        }

        return result;
    }
}
