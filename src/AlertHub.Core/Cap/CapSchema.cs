using System.Xml;
using System.Xml.Schema;

namespace AlertHub.Core.Cap;

/// <summary>The CAP 1.2 schema (embedded <c>cap-1.2.xsd</c>) for validating documents the hub writes or receives.</summary>
public static class CapSchema
{
    public const string Namespace12 = "urn:oasis:names:tc:emergency:cap:1.2";

    private static readonly Lazy<XmlSchemaSet> LazySet = new(Load);

    public static XmlSchemaSet Set => LazySet.Value;

    /// <summary>Validates a CAP 1.2 document (DTDs prohibited); returns every schema error, empty when valid. An XML signature
    /// after the last <c>info</c> is allowed and not checked (lax), as CAP 1.2 §3.3.4 permits.</summary>
    public static IReadOnlyList<string> Validate(Stream document)
    {
        var errors = new List<string>();
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            ValidationType = ValidationType.Schema,
            Schemas = Set,
            MaxCharactersInDocument = 10_000_000,
        };
        settings.ValidationEventHandler += (_, e) =>
        {
            if (e.Severity == XmlSeverityType.Error)
            {
                errors.Add($"line {e.Exception?.LineNumber}: {e.Message}");
            }
        };
        using var reader = XmlReader.Create(document, settings);
        while (reader.Read())
        {
        }

        return errors;
    }

    private static XmlSchemaSet Load()
    {
        using var stream = typeof(CapSchema).Assembly.GetManifestResourceStream("AlertHub.Core.Cap.cap-1.2.xsd")
            ?? throw new InvalidOperationException("embedded cap-1.2.xsd missing");
        using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        var set = new XmlSchemaSet { XmlResolver = null };
        set.Add(CapSchema.Namespace12, reader);
        set.Compile();
        return set;
    }
}
