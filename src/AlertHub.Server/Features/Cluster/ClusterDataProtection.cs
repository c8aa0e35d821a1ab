using System.Xml.Linq;
using AlertHub.Core.Cluster;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace AlertHub.Server.Features.Cluster;

/// <summary>
/// Data-protection keys in the shared store: every node of a cluster reads and writes one key ring, under one application
/// name, so a staff cookie, a CSRF token or a camera password protected on node A opens on node B.
/// </summary>
internal static class ClusterDataProtection
{
    /// <summary>
    /// The application name every node protects under. ASP.NET Core's default is the content root path, which differs
    /// between installs; payloads are bound to it, so nodes must agree on it.
    /// </summary>
    public const string ApplicationName = "AlertHub";

    private const string WarmUpPurpose = "AlertHub.Cluster.KeyRing";

    /// <summary>
    /// Keeps the key ring in <see cref="IDataProtectionKeyStore"/> (registered by the PostgreSQL engine) instead of the data
    /// directory. Post-configured: the staff feature's file repository is the default it replaces.
    /// </summary>
    public static IServiceCollection AddClusterDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddOptions<KeyManagementOptions>().PostConfigure<IDataProtectionKeyStore>((o, store) => o.XmlRepository = new StoreXmlRepository(store));
        return services;
    }

    /// <summary>
    /// ASP.NET Core loads the key ring from a hosted service as the host starts: with the ring in the database, on a first
    /// start that is before the schema exists (it logged "relation data_protection_keys does not exist"). The store's
    /// start-up step loads it instead, after the migrations and under the key-ring lock (see <see cref="WarmUp"/>). Called
    /// once every feature is registered, since each <c>AddDataProtection()</c> adds the hosted service again.
    /// </summary>
    public static void LoadKeyRingAfterTheStore(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(IDataProtectionKeyStore)))
        {
            return; // the ring is in files of the data directory: nothing to wait for
        }

        foreach (var eager in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "DataProtectionHostedService").ToList())
        {
            services.Remove(eager);
        }
    }

    /// <summary>
    /// Loads the key ring once, making the first key if there is none. The caller serialises this across nodes (a database
    /// lock), so nodes that start together do not each make a first key: each would protect with its own and, until its
    /// cached ring refreshed, refuse the others' cookies.
    /// </summary>
    public static void WarmUp(IDataProtectionProvider provider) => provider.CreateProtector(WarmUpPurpose).Protect([1]);

    private sealed class StoreXmlRepository(IDataProtectionKeyStore store) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements() => [.. store.List().Select(x => XElement.Parse(x))];

        public void StoreElement(XElement element, string friendlyName) => store.Store(friendlyName, element.ToString(SaveOptions.DisableFormatting));
    }
}
