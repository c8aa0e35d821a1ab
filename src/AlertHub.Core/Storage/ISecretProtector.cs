namespace AlertHub.Core.Storage;

/// <summary>
/// Encrypts secrets that the hub must read back itself (a camera's password, which it sends to the camera), so that the
/// database, its backups and its replicas never hold them in plain text. Stores of every engine call it on the way in and out,
/// so the stored form is the same on each; the key stays with the hub, not in the database.
/// </summary>
internal interface ISecretProtector
{
    /// <summary>The form to store: it never contains <paramref name="plaintext"/>.</summary>
    string Protect(string plaintext);

    /// <summary>Whether <paramref name="stored"/> is a protected form (false for a value stored before secrets were protected).</summary>
    bool IsProtected(string stored);

    /// <summary>
    /// The plaintext of a stored form. A value stored before secrets were protected is returned as it is. Null when the stored
    /// form cannot be read any more (the key that protected it is gone): the caller treats the secret as absent, and staff enter it again.
    /// </summary>
    string? Unprotect(string stored);
}
