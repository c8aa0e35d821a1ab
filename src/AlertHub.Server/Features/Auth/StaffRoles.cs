namespace AlertHub.Server.Features.Auth;

/// <summary>
/// Staff roles. Higher roles include lower ones: admin ⊇ approver ⊇ issuer ⊇ viewer. <c>ingest</c> is for
/// machines (feeds, cameras) and only ingests; admin may ingest too.
/// </summary>
internal static class StaffRoles
{
    public const string Admin = "admin";
    public const string Approver = "approver";
    public const string Issuer = "issuer";
    public const string Viewer = "viewer";
    public const string Ingest = "ingest";

    public static readonly IReadOnlySet<string> All = new HashSet<string> { Admin, Approver, Issuer, Viewer, Ingest };

    /// <summary>Authorization policy names, one per minimum role.</summary>
    public static class Policies
    {
        public const string Admin = "role:admin";
        public const string Approver = "role:approver";
        public const string Issuer = "role:issuer";
        public const string Viewer = "role:viewer";
        public const string Ingest = "role:ingest";
    }

    public static string[] RolesSatisfying(string minimum) => minimum switch
    {
        Admin => [Admin],
        Approver => [Admin, Approver],
        Issuer => [Admin, Approver, Issuer],
        Viewer => [Admin, Approver, Issuer, Viewer],
        Ingest => [Admin, Ingest],
        _ => throw new ArgumentOutOfRangeException(nameof(minimum)),
    };
}
