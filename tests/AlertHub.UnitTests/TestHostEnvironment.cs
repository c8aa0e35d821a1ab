using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace AlertHub.UnitTests;

/// <summary>A host environment for constructing hub services outside a host (Production unless told otherwise).</summary>
internal sealed class TestHostEnvironment(string name = "Production") : IHostEnvironment
{
    public string EnvironmentName { get; set; } = name;

    public string ApplicationName { get; set; } = "test";

    public string ContentRootPath { get; set; } = "/";

    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
}
