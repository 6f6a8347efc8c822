namespace IotHub.Storage;

/// <summary>The store's tables. Samples are split by value type so each column stays typed and compresses well.</summary>
internal static class Schema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS series (
            id INTEGER PRIMARY KEY,
            measurement VARCHAR NOT NULL,
            tags VARCHAR NOT NULL,
            field VARCHAR NOT NULL,
            kind UTINYINT NOT NULL);
        CREATE TABLE IF NOT EXISTS samples_f64 (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value DOUBLE NOT NULL);
        CREATE TABLE IF NOT EXISTS samples_i64 (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS samples_u64 (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value UBIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS samples_str (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value VARCHAR NOT NULL);
        CREATE TABLE IF NOT EXISTS uplink_batches (device VARCHAR PRIMARY KEY, sequence UBIGINT NOT NULL);
        """;

    public const string CountAll = """
        SELECT (SELECT count(*) FROM samples_f64) + (SELECT count(*) FROM samples_i64)
             + (SELECT count(*) FROM samples_u64) + (SELECT count(*) FROM samples_str)
        """;
}
