using Xunit.Abstractions;
using Xunit.Sdk;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>Marks a conformance test class that runs against PostgreSQL: its <see cref="StoreFactAttribute"/> tests skip
/// (with the apt line) where PostgreSQL is not installed, and never under CI.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class PostgresEngineAttribute : Attribute;

/// <summary>
/// A fact of a store conformance suite. The suite is an abstract class written once; each engine is a subclass, and this
/// attribute lets the PostgreSQL subclass skip cleanly on a machine without PostgreSQL while the SQLite one still runs.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("AlertHub.IntegrationTests.Storage.StoreFactDiscoverer", "AlertHub.IntegrationTests")]
internal sealed class StoreFactAttribute : FactAttribute;

public sealed class StoreFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var onPostgres = testMethod.TestClass.Class.GetCustomAttributes(typeof(PostgresEngineAttribute)).Any();
        var skip = onPostgres ? PostgresServer.SkipReason : null;
        yield return new EngineTestCase(diagnostics, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(),
            testMethod, skip);
    }
}

/// <summary>A test case whose skip reason comes from the engine it runs on rather than from the attribute.</summary>
public sealed class EngineTestCase : XunitTestCase
{
    private string? _engineSkipReason;

    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public EngineTestCase()
    {
    }

    public EngineTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod testMethod, string? skipReason)
        : base(diagnostics, display, displayOptions, testMethod)
    {
        _engineSkipReason = skipReason;
    }

    protected override string? GetSkipReason(IAttributeInfo factAttribute) => _engineSkipReason ?? base.GetSkipReason(factAttribute);

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("EngineSkipReason", _engineSkipReason);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        _engineSkipReason = data.GetValue<string?>("EngineSkipReason");
        base.Deserialize(data);
    }
}
