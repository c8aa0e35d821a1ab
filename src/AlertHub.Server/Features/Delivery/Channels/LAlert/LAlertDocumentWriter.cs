using System.Globalization;
using System.Text;
using System.Xml;

namespace AlertHub.Server.Features.Delivery.Channels.LAlert;

/// <summary>
/// Writes one Lアラート document: an EDXL-DE 1.0 distribution with the commons extensions, carrying a PCXML v4 Report
/// (Control, Head, and the category's body), in the element order public sender systems write (LGDIS templates, the L-Alert
/// test-node sample). Every code is the 6-digit form with its check digit; each 地区 carries the municipality's code, its
/// 大字・町丁目 code when known, and a point inside it.
/// </summary>
internal static class LAlertDocumentWriter
{
    public const string Edxl = "urn:oasis:names:tc:emergency:EDXL:DE:1.0";
    public const string Commons = "http://xml.publiccommons.ne.jp/xml/edxl/";
    public const string Pcx = "http://xml.publiccommons.ne.jp/pcxml1/4";
    public const string Ib = "http://xml.publiccommons.ne.jp/pcxml1/informationBasis4/";
    public const string Eb = "http://xml.publiccommons.ne.jp/pcxml1/elementBasis4/";
    public const string Ev = "http://xml.publiccommons.ne.jp/pcxml1/body/evacuation4";
    public const string Sh = "http://xml.publiccommons.ne.jp/pcxml1/body/shelter4";
    public const string Gi = "http://xml.publiccommons.ne.jp/pcxml1/body/GeneralInformation4";

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public static byte[] Evacuation(LAlertHeader header, LAlertPublisherInfo who, IReadOnlyList<EvacuationEntry> entries, IReadOnlyDictionary<string, int> levels) =>
        Write(header, who, LAlertCategories.Evacuation, w =>
        {
            w.WriteStartElement("pcx_ev", "EvacuationOrder", Ev);
            Disaster(w, header.DisasterName);
            // One Detail per (発令区分, 発令/解除), the strongest order first, 発令 before 解除.
            foreach (var group in entries.GroupBy(e => (e.Sort, e.Issued))
                         .OrderByDescending(g => g.Key.Issued).ThenByDescending(g => levels.GetValueOrDefault(g.Key.Sort)).ThenBy(g => g.Key.Sort, StringComparer.Ordinal))
            {
                w.WriteStartElement("Detail", Ev);
                w.WriteElementString("Sort", Ev, group.Key.Sort);
                w.WriteElementString("IssueOrLift", Ev, group.Key.Issued ? "発令" : "解除");
                w.WriteStartElement("Areas", Ev);
                foreach (var entry in group.OrderBy(e => e.District.Name, StringComparer.Ordinal))
                {
                    w.WriteStartElement("Area", Ev);
                    Location(w, entry.District, who);
                    w.WriteElementString("DateTime", Ev, Time(entry.At));
                    w.WriteEndElement();
                }

                w.WriteEndElement();
                w.WriteEndElement();
            }

            w.WriteEndElement();
        });

    public static byte[] Shelter(LAlertHeader header, LAlertPublisherInfo who, IReadOnlyList<ShelterEntry> shelters) =>
        Write(header, who, LAlertCategories.Shelter, w =>
        {
            w.WriteStartElement("pcx_sh", "Shelter", Sh);
            Disaster(w, header.DisasterName);
            var open = shelters.Where(s => s.Sort is "開設" or "常設").ToList();
            w.WriteStartElement("TotalNumber", Sh);
            w.WriteElementString("HeadCount", Sh, open.Sum(s => s.HeadCount).ToString(CultureInfo.InvariantCulture));
            w.WriteEndElement();
            w.WriteElementString("TotalNumberOfShelter", Sh, open.Count.ToString(CultureInfo.InvariantCulture));
            w.WriteStartElement("Informations", Sh);
            foreach (var s in shelters.OrderBy(s => s.Name, StringComparer.Ordinal).ThenBy(s => s.Id, StringComparer.Ordinal))
            {
                w.WriteStartElement("Information", Sh);
                w.WriteStartElement("Location", Sh);
                w.WriteElementString("circle", Edxl, Circle(s.Lat, s.Lon));
                w.WriteElementString("areaName", Commons, s.Name);
                w.WriteElementString("jisX0402", Commons, who.OrganizationCode);
                w.WriteEndElement();
                w.WriteElementString("Type", Sh, s.Type);
                w.WriteElementString("Sort", Sh, s.Sort);
                w.WriteElementString("DateTime", Sh, Time(s.At));
                if (s.Capacity is { } capacity)
                {
                    w.WriteElementString("Capacity", Sh, capacity.ToString(CultureInfo.InvariantCulture));
                }

                if (s.Status is { } status)
                {
                    w.WriteElementString("Status", Sh, status);
                }

                w.WriteStartElement("NumberOf", Sh);
                w.WriteElementString("HeadCount", Sh, s.HeadCount.ToString(CultureInfo.InvariantCulture));
                w.WriteEndElement();
                w.WriteElementString("CheckedDateTime", Sh, Time(s.CheckedAt));
                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndElement();
        });

    public static byte[] General(LAlertHeader header, LAlertPublisherInfo who, GeneralEntry entry) =>
        Write(header, who, LAlertCategories.General, w =>
        {
            w.WriteStartElement("pcx_gi", "GeneralInformation", Gi);
            w.WriteElementString("DisasterInformationType", Gi, entry.DisasterInformationType);
            if (entry.DisasterInformationType != "Ordinary")
            {
                Disaster(w, header.DisasterName);
            }

            w.WriteElementString("Category", Gi, entry.Category);
            w.WriteElementString("SubCategory", Gi, entry.SubCategory);
            w.WriteElementString("Title", Gi, entry.Title);
            w.WriteElementString("Description", Gi, entry.Description);
            if (entry.Url is { } url)
            {
                w.WriteElementString("URL", Gi, url);
            }

            w.WriteEndElement();
        });

    /// <summary>JST with its offset and no fractions, as every sample writes times.</summary>
    public static string Time(DateTimeOffset t) => t.ToOffset(Jst).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static byte[] Write(LAlertHeader h, LAlertPublisherInfo who, string category, Action<XmlWriter> body)
    {
        using var stream = new MemoryStream();
        using (var w = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false, OmitXmlDeclaration = true }))
        {
            w.WriteStartElement("edxlde", "EDXLDistribution", Edxl);
            w.WriteAttributeString("xmlns", "commons", null, Commons);
            w.WriteElementString("distributionID", Edxl, h.DistributionId);
            w.WriteElementString("senderID", Edxl, who.SenderId);
            w.WriteElementString("dateTimeSent", Edxl, Time(h.Sent));
            w.WriteElementString("distributionStatus", Edxl, h.Status);
            w.WriteElementString("distributionType", Edxl, h.DistributionType);
            w.WriteElementString("combinedConfidentiality", Edxl, "UNCLASSIFIED AND NOT SENSITIVE");
            w.WriteElementString("language", Edxl, "ja-JP");
            w.WriteStartElement("targetArea", Commons);
            w.WriteElementString("areaName", Commons, who.MunicipalityName);
            w.WriteElementString("areaNameKana", Commons, who.MunicipalityNameKana);
            w.WriteElementString("jisX0402", Commons, who.OrganizationCode);
            w.WriteEndElement();

            w.WriteStartElement("contentObject", Commons);
            w.WriteElementString("contentDescription", Edxl, h.Headline);
            w.WriteStartElement("xmlContent", Edxl);
            w.WriteStartElement("embeddedXMLContent", Edxl);
            w.WriteStartElement("pcx", "Report", Pcx);
            w.WriteAttributeString("xmlns", "pcx_ib", null, Ib);
            w.WriteAttributeString("xmlns", "pcx_eb", null, Eb);

            w.WriteStartElement("Control", Pcx);
            w.WriteElementString("Title", Pcx, category);
            w.WriteElementString("distributionStatus", Edxl, h.Status);
            w.WriteStartElement("EditorialOffice", Pcx);
            Office(w, who, full: false);
            w.WriteEndElement();
            w.WriteStartElement("PublishingOffice", Pcx);
            w.WriteStartElement("OfficeInfo", Eb);
            Office(w, who, full: true);
            w.WriteEndElement();
            w.WriteEndElement();
            if (h.Errata is { } errata)
            {
                w.WriteStartElement("Errata", Pcx);
                w.WriteElementString("Description", Eb, errata.Description);
                w.WriteElementString("DateTime", Eb, Time(errata.At));
                w.WriteEndElement();
            }

            w.WriteEndElement();

            w.WriteStartElement("Head", Ib);
            w.WriteElementString("Title", Ib, h.Title);
            w.WriteElementString("CreateDateTime", Ib, Time(h.Sent));
            w.WriteElementString("FirstCreateDateTime", Ib, Time(h.FirstCreated));
            w.WriteElementString("ReportDateTime", Ib, Time(h.Sent));
            w.WriteElementString("TargetDateTime", Ib, Time(h.Sent));
            w.WriteElementString("distributionID", Edxl, h.DistributionId);
            w.WriteElementString("distributionType", Edxl, h.DistributionType);
            w.WriteElementString("documentRevision", Commons, h.Revision.ToString(CultureInfo.InvariantCulture));
            if (h.Revision > 1)
            {
                w.WriteElementString("previousDocumentRevision", Commons, (h.Revision - 1).ToString(CultureInfo.InvariantCulture));
            }

            w.WriteElementString("documentID", Commons, h.DocumentId);
            w.WriteStartElement("Headline", Ib);
            w.WriteElementString("Text", Ib, h.Headline);
            w.WriteStartElement("Areas", Ib);
            w.WriteStartElement("Area", Ib);
            w.WriteElementString("areaName", Commons, who.MunicipalityName);
            w.WriteElementString("jisX0402", Commons, who.OrganizationCode);
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();

            body(w);
            w.WriteEndElement(); // Report
            w.WriteEndElement(); // embeddedXMLContent
            w.WriteEndElement(); // xmlContent

            w.WriteElementString("publishingOfficeName", Commons, who.OfficeName);
            w.WriteElementString("publishingOfficeID", Commons, who.OrganizationCode);
            if (h.Revision > 1)
            {
                w.WriteElementString("previousDocumentRevision", Commons, (h.Revision - 1).ToString(CultureInfo.InvariantCulture));
            }

            w.WriteElementString("documentRevision", Commons, h.Revision.ToString(CultureInfo.InvariantCulture));
            w.WriteElementString("documentID", Commons, h.DocumentId);
            w.WriteElementString("category", Commons, category);
            w.WriteEndElement(); // contentObject
            w.WriteEndElement(); // EDXLDistribution
        }

        return stream.ToArray();
    }

    private static void Office(XmlWriter w, LAlertPublisherInfo who, bool full)
    {
        w.WriteElementString("OrganizationCode", Eb, who.OrganizationCode);
        if (full && who.OfficePhone is { } phone)
        {
            w.WriteStartElement("ContactInfo", Eb);
            w.WriteAttributeString("contactType", Eb, "phone");
            w.WriteString(phone);
            w.WriteEndElement();
        }

        w.WriteElementString("OfficeName", Eb, who.OfficeName);
        if (full)
        {
            w.WriteElementString("OfficeNameKana", Eb, who.OfficeNameKana);
            if (who.OfficeDomainName is { } domain)
            {
                w.WriteElementString("OfficeDomainName", Eb, domain);
            }
        }

        w.WriteElementString("OrganizationName", Eb, who.MunicipalityName);
    }

    private static void Disaster(XmlWriter w, string name)
    {
        w.WriteStartElement("Disaster", Eb);
        w.WriteElementString("DisasterName", Eb, name);
        w.WriteEndElement();
    }

    private static void Location(XmlWriter w, LAlertDistrict d, LAlertPublisherInfo who)
    {
        w.WriteStartElement("Location", Eb);
        if (d.Lat is { } lat && d.Lon is { } lon)
        {
            w.WriteElementString("circle", Edxl, Circle(lat, lon));
        }

        w.WriteElementString("areaName", Commons, d.WholeMunicipality ? who.MunicipalityName : d.Name);
        if (d.Kana is { } kana)
        {
            w.WriteElementString("areaNameKana", Commons, kana);
        }

        w.WriteElementString("jisX0402", Commons, who.OrganizationCode);
        if (d.TownCode is { } town)
        {
            w.WriteElementString("ooAzaTyouTyouMokuCode", Commons, town);
        }

        w.WriteEndElement();
    }

    // EDXL-DE circles are "lat,lon,radius" with the radius in km; a 地区 is marked by a point inside it (radius 0), as the samples do.
    private static string Circle(double lat, double lon) => string.Create(CultureInfo.InvariantCulture, $"{lat:0.######},{lon:0.######},0");
}
