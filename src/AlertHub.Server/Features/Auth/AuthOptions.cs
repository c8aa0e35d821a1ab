namespace AlertHub.Server.Features.Auth;

/// <summary>Configuration section <c>Auth</c>.</summary>
public sealed class AuthOptions
{
    /// <summary>Admin key created on first start when no key exists. Default: none, in which case the hub generates
    /// one and writes it to <c>&lt;DataDirectory&gt;/bootstrap-admin.key</c> (owner-only permissions).</summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>Password of the <c>admin</c> staff user created on first start when no staff user exists. Default: none, in
    /// which case the hub generates one and writes it to <c>&lt;DataDirectory&gt;/bootstrap-admin.password</c> (owner-only).</summary>
    public string? BootstrapAdminPassword { get; set; }
}
