using Microsoft.ML.Data;

namespace IotHub.Forecasting;

/// <summary>One ML.NET input row: a feature vector (its width is set at run time) and the label.</summary>
internal sealed class FeatureRow
{
    public float[] Features { get; set; } = [];

    public float Label { get; set; }

    /// <summary>The schema of rows <paramref name="width"/> features wide.</summary>
    public static SchemaDefinition Schema(int width)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return schema;
    }
}
