namespace AlertHub.Server.Features.Delivery.Channels.CapFeed;

/// <summary>Configuration section <c>Channels:CapFeed</c>: the public CAP 1.2 Atom feed partners pull.</summary>
public sealed class CapFeedOptions : IChannelOptions
{
    /// <summary>Serve /feeds/cap.atom and /feeds/cap/{id}.xml. Default false; appsettings.json turns it on.</summary>
    public bool Enabled { get; set; }

    /// <summary>Also publish Exercise and Test alerts (marked as such in CAP <c>status</c>). Default false: the public feed carries real alerts only.</summary>
    public bool IncludeExercises { get; set; }

    /// <summary>CAP <c>senderName</c> and the feed's author. Default 横手市 危機対策課.</summary>
    public string SenderName { get; set; } = "横手市 危機対策課";

    /// <summary>Most entries in the Atom feed. Default 100.</summary>
    public int MaxEntries { get; set; } = 100;

    /// <summary>Cancelled alerts stay in the feed this long so pullers see the retraction. Default 24 h.</summary>
    public TimeSpan KeepCancelledFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Polygons are simplified to at most this many points (CAP consumers draw them; targeting stays exact). Default 500.</summary>
    public int MaxPolygonPoints { get; set; } = 500;
}
