namespace AlertHub.Core.Cluster;

/// <summary>
/// The hub's data-protection keys (ASP.NET Core's key ring XML, one element per key) where every node reads them: a staff
/// cookie, a CSRF token or an encrypted camera password made on one node must open on every other. Only the PostgreSQL engine
/// has one; a SQLite hub keeps its keys in its data directory. Synchronous, as ASP.NET Core's key repository calls it (rarely:
/// at start, when a key is made, and once a day).
/// </summary>
internal interface IDataProtectionKeyStore
{
    /// <summary>Every stored key element, oldest first.</summary>
    IReadOnlyList<string> List();

    /// <summary>Stores one key element under its friendly name (the key id); storing a name again changes nothing.</summary>
    void Store(string friendlyName, string xml);
}
