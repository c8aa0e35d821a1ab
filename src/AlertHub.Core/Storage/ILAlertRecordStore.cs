namespace AlertHub.Core.Storage;

/// <summary>The document a scope has open: its id, latest revision, the publisher's state (JSON) and when its first revision was made.</summary>
internal sealed record LAlertOpenDocument(string Id, int Revision, string State, DateTimeOffset FirstCreated);

/// <summary>
/// A new revision of a document and its exact bytes. The document row is created or advanced with it: <paramref name="State"/>
/// replaces the document's state and <paramref name="StillOpen"/> says whether the scope's next revision continues it. Every node
/// in <paramref name="Nodes"/> gets a pending send.
/// </summary>
internal sealed record LAlertNewRevision(
    string DocumentId, int Revision, string Scope, string Category, string Status, string DistributionType, string DistributionId,
    string Summary, string? AlertId, int? AlertVersion, byte[] Xml, string State, bool StillOpen, DateTimeOffset FirstCreated, DateTimeOffset At,
    IReadOnlyList<string> Nodes);

/// <summary>One stored publication (without its bytes).</summary>
internal sealed record LAlertPublicationRecord(long Seq, string DocumentId, int Revision, string Category, string Status, string DistributionType,
    string DistributionId, string Summary, string? AlertId, int? AlertVersion, DateTimeOffset CreatedAt);

/// <summary>One node's acknowledgement of one publication.</summary>
/// <param name="State">pending, acknowledged or refused.</param>
internal sealed record LAlertSendRecord(long PublicationSeq, string Node, string State, int Attempts, int? Code, string? Result,
    DateTimeOffset? LastAttemptAt, DateTimeOffset? AcknowledgedAt);

/// <summary>
/// What the city published to Lアラート; the owner of <c>lalert_documents</c>, <c>lalert_publications</c>, <c>lalert_applied</c> and
/// <c>lalert_sends</c>. A revision is written in a revision transaction (<see cref="BeginRevisionAsync"/>): the publisher reads the
/// scope's open document, decides, and writes the publication, the document's new state and which alert version it applied, all
/// or nothing. Publications are numbered (seq) in the order they are written; their bytes are kept exactly as given.
/// </summary>
internal interface ILAlertRecordStore
{
    /// <summary>
    /// Begins the transaction of one revision of <paramref name="scope"/> (evacuation:Actual, shelter:Exercise, general:&lt;alert&gt; …).
    /// It waits while another revision transaction of the same scope is open, on any hub node, so two publishers never both build
    /// on the same revision. Pass it to the methods below and commit it; disposing it uncommitted writes nothing.
    /// </summary>
    Task<IStoreTransaction> BeginRevisionAsync(string scope, CancellationToken cancellationToken);

    /// <summary>Whether the alert version was applied, and the publication it made then (null: it changed nothing Lアラート shows).</summary>
    Task<(bool Applied, long? Seq)> FindAppliedAsync(IStoreTransaction transaction, string alertId, int version, CancellationToken cancellationToken);

    /// <summary>The scope's open document (the latest updated if ever more than one), or null.</summary>
    Task<LAlertOpenDocument?> FindOpenDocumentAsync(IStoreTransaction transaction, string scope, CancellationToken cancellationToken);

    /// <summary>Replaces a document's state without a new revision (the publisher's memory changed, nothing Lアラート shows did).</summary>
    Task SaveStateAsync(IStoreTransaction transaction, string documentId, string state, CancellationToken cancellationToken);

    /// <summary>Writes a revision (see <see cref="LAlertNewRevision"/>); returns its seq. A (document, revision) written before is a conflict and throws.</summary>
    Task<long> PublishAsync(IStoreTransaction transaction, LAlertNewRevision revision, CancellationToken cancellationToken);

    /// <summary>Records that the alert version was applied, with the publication it made (or null). Applying one version twice throws.</summary>
    Task MarkAppliedAsync(IStoreTransaction transaction, string alertId, int version, long? seq, CancellationToken cancellationToken);

    /// <summary>The node's pending publications, oldest (lowest seq) first, at most <paramref name="limit"/>, with their exact bytes.</summary>
    Task<IReadOnlyList<(long Seq, int Revision, byte[] Xml)>> PendingAsync(string node, int limit, CancellationToken cancellationToken);

    /// <summary>Records one attempt to send a publication to a node: its new state, the node's answer, and when it was acknowledged if it was.</summary>
    Task RecordSendAsync(long seq, string node, string state, int? code, string result, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The node's send of a publication with the publication's revision, or null when there is none.</summary>
    Task<(LAlertSendRecord Send, int Revision)?> FindSendAsync(long seq, string node, CancellationToken cancellationToken);

    /// <summary>The newest publications, highest seq first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<LAlertPublicationRecord>> ListAsync(int limit, CancellationToken cancellationToken);

    /// <summary>The sends of these publications, by seq then node (code-point order).</summary>
    Task<IReadOnlyList<LAlertSendRecord>> SendsAsync(IReadOnlyCollection<long> seqs, CancellationToken cancellationToken);

    /// <summary>The exact bytes of a publication, or null when there is none.</summary>
    Task<byte[]?> XmlAsync(long seq, CancellationToken cancellationToken);
}
