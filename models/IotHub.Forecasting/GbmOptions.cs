namespace IotHub.Forecasting;

/// <summary>Tree-ensemble hyper-parameters shared by LightGbm and FastTree.</summary>
/// <param name="Iterations">Boosting rounds (trees). Default 200.</param>
/// <param name="Leaves">Leaves per tree. Default 31.</param>
/// <param name="LearningRate">Shrinkage per round. Default 0.08.</param>
/// <param name="MinLeafCount">Fewest rows in a leaf. Default 40.</param>
/// <param name="Threads">Threads per training; fixed so results repeat (one: LightGbm's OpenMP threads spin when cores are shared). Default 1.</param>
public sealed record GbmOptions(int Iterations = 200, int Leaves = 31, double LearningRate = 0.08, int MinLeafCount = 40, int Threads = 1);
