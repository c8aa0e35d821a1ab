namespace AlertHub.Server.Features.Storage;

/// <summary>Configuration section <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary>The database engine: <c>sqlite</c> (default: an embedded file under <see cref="DataDirectory"/>) or
    /// <c>postgres</c> (a PostgreSQL server named by the connection string <c>ConnectionStrings:AlertHub</c>; the hub applies
    /// its migrations at start under an advisory lock). Media files stay under <see cref="DataDirectory"/> on both.</summary>
    public string Engine { get; set; } = SqliteEngine;

    public const string SqliteEngine = "sqlite";

    public const string PostgresEngine = "postgres";

    /// <summary>Folder for the SQLite database and the bootstrap key. Default <c>data</c> (relative to the content root).
    /// Give each hub its own folder to run several side by side.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Database file name inside <see cref="DataDirectory"/>. Default <c>alerthub.db</c>.</summary>
    public string DatabaseFile { get; set; } = "alerthub.db";

    /// <summary>
    /// Below this much free space on the data volume the hub keeps what is left for alerts: /health reports
    /// <c>disk</c> degraded, the periodic camera history pauses (pushed stills are still kept) and drone photo uploads are
    /// refused (507). Default 1024 MB; 0 turns it off.
    /// </summary>
    public long MinFreeDiskMegabytes { get; set; } = 1024;

    /// <summary>On PostgreSQL: how often the hub asks which database server it reaches and whether it takes writes, for
    /// /health's "failing over". Default 2 s.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// On PostgreSQL: the server ends a hub session that sits inside a transaction doing nothing for this long, and with it
    /// the row locks it holds. A healthy node holds a transaction only across its own statements (well under a second); a node
    /// stopped mid-transaction (a frozen VM, SIGSTOP) would otherwise keep its locks until it woke, and the other nodes could
    /// not take its claimed work over meanwhile. Default 10 s; 0 leaves the server's own setting (off by default).
    /// </summary>
    public TimeSpan IdleInTransactionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often free space is checked. Default 30 s.</summary>
    public TimeSpan DiskCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
