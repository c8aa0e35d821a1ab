namespace AlertHub.Server.Features.Delivery.Channels.LAlert;

/// <summary>Lアラート categories the hub publishes (<c>commons:category</c> = <c>Control/Title</c> = the body's element name).</summary>
internal static class LAlertCategories
{
    public const string Evacuation = "EvacuationOrder";
    public const string Shelter = "Shelter";
    public const string General = "GeneralInformation";
}

/// <summary>
/// One 地区 of the municipality: a hub area by name (with its 12-digit 大字・町丁目 code when the area has one, and a point inside
/// it), or the whole municipality.
/// </summary>
internal sealed record LAlertDistrict(string Key, string Name, string? Kana, string? TownCode, double? Lat, double? Lon, bool WholeMunicipality = false);

/// <summary>A 地区's 発令 or 解除 in an EvacuationOrder, with the time it was ordered or lifted.</summary>
internal sealed record EvacuationEntry(LAlertDistrict District, string Sort, bool Issued, DateTimeOffset At);

/// <summary>One shelter in a Shelter document.</summary>
/// <param name="Sort">開設, 閉鎖 (or 未開設, 常設).</param>
/// <param name="Status">混雑状況: 空き, 混雑, 定員一杯, 不明; null when closed.</param>
internal sealed record ShelterEntry(string Id, string Name, double Lat, double Lon, string Type, string Sort, string? Status, int? Capacity, int HeadCount,
    DateTimeOffset At, DateTimeOffset CheckedAt);

/// <summary>An お知らせ.</summary>
/// <param name="DisasterInformationType">Alert 警報, Disaster 災害情報 or Ordinary 平時情報.</param>
internal sealed record GeneralEntry(string DisasterInformationType, string Category, string SubCategory, string Title, string Description, string? Url);

/// <summary>Everything the envelope and Head of one publication say about it.</summary>
/// <param name="DistributionType">Report (first), Update or Cancel.</param>
/// <param name="Status">Actual, Exercise or Test.</param>
/// <param name="Errata">A correction or withdrawal: what was wrong, and when it was noticed.</param>
internal sealed record LAlertHeader(string DocumentId, int Revision, string DistributionType, string Status, string DistributionId, DateTimeOffset Sent,
    DateTimeOffset FirstCreated, string Title, string Headline, string DisasterName, (string Description, DateTimeOffset At)? Errata = null);

/// <summary>The municipality and office that publish (from <see cref="LAlertOptions"/>).</summary>
internal sealed record LAlertPublisherInfo(string SenderId, string MunicipalityCode, string MunicipalityName, string MunicipalityNameKana,
    string OfficeName, string OfficeNameKana, string? OfficePhone, string? OfficeDomainName)
{
    /// <summary>The 6-digit code with its check digit, as every Lアラート code is written (05203 → 052035).</summary>
    public string OrganizationCode => MunicipalityCode + Core.Feeds.LAlert.JisCodes.CheckDigit(MunicipalityCode).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static LAlertPublisherInfo From(LAlertOptions o) =>
        new(o.SenderId, o.MunicipalityCode, o.MunicipalityName, o.MunicipalityNameKana, o.OfficeName, o.OfficeNameKana, o.OfficePhone, o.OfficeDomainName);
}

/// <summary>What one alert contributes to the municipality's EvacuationOrder: its 発令区分 over its 地区, until lifted or withdrawn.</summary>
/// <param name="Ever">Every 地区 any version of the alert ordered: a withdrawal takes them all back, lifted ones included.</param>
internal sealed record EvacuationContribution(string AlertId, int Version, string Sort, int Level, List<LAlertDistrict> Districts, DateTimeOffset At, bool Lifted,
    List<string>? Ever = null);

/// <summary>
/// The state behind one EvacuationOrder document (stored as JSON): each contributing alert, and the entries last published, so
/// a 地区 no longer ordered is published as 解除 until nothing remains ordered.
/// </summary>
internal sealed class EvacuationState
{
    public List<EvacuationContribution> Contributions { get; set; } = [];

    public List<EvacuationEntry> Published { get; set; } = [];

    public string? DisasterName { get; set; }
}

/// <summary>The state behind one Shelter document: every shelter that has been open while the document lived.</summary>
internal sealed class ShelterState
{
    public List<ShelterEntry> Published { get; set; } = [];

    public string? DisasterName { get; set; }
}
