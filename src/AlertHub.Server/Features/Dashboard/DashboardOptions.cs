namespace AlertHub.Server.Features.Dashboard;

/// <summary>Configuration section <c>Dashboard</c>: the staff dashboard (<c>/staff/</c>) and the resident page (<c>/</c>).</summary>
public sealed class DashboardOptions
{
    /// <summary>Base map tile URL template (Leaflet <c>{z}/{x}/{y}</c>). Default 地理院タイル 標準地図
    /// <c>https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png</c>. Empty: no base tiles (areas, cameras and shelters
    /// are vectors and stay readable), which is what tests and offline installations use.</summary>
    public string TileUrl { get; set; } = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png";

    /// <summary>Attribution shown with the tiles (as text, never as markup). Default 「地理院タイル」.</summary>
    public string TileAttribution { get; set; } = "地理院タイル";

    /// <summary>Link of the attribution (http or https; anything else is shown without a link). Default the GSI tile terms page.</summary>
    public string TileAttributionUrl { get; set; } = "https://maps.gsi.go.jp/development/ichiran.html";

    /// <summary>Highest zoom the tile server offers. Default 18.</summary>
    public int TileMaxZoom { get; set; } = 18;

    /// <summary>Where the map opens: latitude, longitude, zoom. Default 横手市役所 (39.3114, 140.5535), zoom 12.</summary>
    public double[] MapCenter { get; set; } = [39.3114, 140.5535, 12];

    /// <summary>The city's LINE official account "add friend" URL shown on the resident page. Default none (not shown).</summary>
    public string? LineFriendUrl { get; set; }
}
