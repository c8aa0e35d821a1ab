namespace AlertHub.Server.Features.Delivery.Channels.LAlert;

/// <summary>Configuration section <c>Channels:LAlert</c>: the city publishing its 避難情報, 避難所情報 and お知らせ to Lアラート.</summary>
public sealed class LAlertOptions : IChannelOptions
{
    /// <summary>Whether the channel runs. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>The Lアラート nodes every document goes to, in order (public senders send to a normal and a backup node every time).
    /// Required: at least one.</summary>
    public List<LAlertNodeOptions> Nodes { get; set; } = [];

    /// <summary><c>edxlde:senderID</c>, the id FMMC gives the sender, e.g. <c>bousai.city.yokote.akita.jp</c>. Required.</summary>
    public string SenderId { get; set; } = "";

    /// <summary>The municipality: 5-digit 全国地方公共団体コード (without the check digit, which the hub adds). Default 05203 (横手市).</summary>
    public string MunicipalityCode { get; set; } = "05203";

    /// <summary>Its name as L-Alert shows it (prefecture first). Default 秋田県横手市.</summary>
    public string MunicipalityName { get; set; } = "秋田県横手市";

    /// <summary>Its reading. Default あきたけんよこてし.</summary>
    public string MunicipalityNameKana { get; set; } = "あきたけんよこてし";

    /// <summary>The sending office. Default 危機対策課.</summary>
    public string OfficeName { get; set; } = "危機対策課";

    /// <summary>The office's reading. Default ききたいさくか.</summary>
    public string OfficeNameKana { get; set; } = "ききたいさくか";

    /// <summary>The office's telephone number for media enquiries. Default none.</summary>
    public string? OfficePhone { get; set; }

    /// <summary>The office's domain. Default none.</summary>
    public string? OfficeDomainName { get; set; }

    /// <summary>Publish Exercise and Test alerts too, as <c>Exercise</c> / <c>Test</c> (never Actual), marked 【訓練】/【試験】. Default true:
    /// Lアラート carries drills under their own status, and a city's 情報発信訓練 needs them.</summary>
    public bool PublishExercises { get; set; } = true;

    /// <summary>Publish alerts that feed rules issued (from JMA, Lアラート or CAP documents). Default false: Lアラート already carries JMA's
    /// telegrams, and re-publishing what came from Lアラート would loop.</summary>
    public bool PublishFeedAlerts { get; set; }

    /// <summary>Publish 避難所情報 from the shelters' status. Default true.</summary>
    public bool PublishShelters { get; set; } = true;

    /// <summary>The <c>distributionStatus</c> of shelter documents (shelters have no drill flag in the hub). Default Actual; a drill hub sets Exercise.</summary>
    public string ShelterStatus { get; set; } = "Actual";

    /// <summary>発令区分 as written in <c>Sort</c>, per 警戒レベル. The strings the current Lアラート accepts are not public; these are the
    /// names the 2021 law uses. Default 3 高齢者等避難, 4 避難指示, 5 緊急安全確保.</summary>
    public Dictionary<int, string> SortNames { get; set; } = new() { [3] = "高齢者等避難", [4] = "避難指示", [5] = "緊急安全確保" };

    /// <summary><c>DisasterName</c> of the documents. Default: the event of the alert that opened the document (e.g. 洪水).</summary>
    public string? DisasterName { get; set; }

    /// <summary>Timeout of one SOAP request. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the shelters are compared with the last 避難所情報 published (changes also publish at once). Default 30 s.</summary>
    public TimeSpan ShelterCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Wait before sending to a node again after it failed (no answer, code 901). Default 30 s.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>One node under <c>Channels:LAlert:Nodes</c>.</summary>
public sealed class LAlertNodeOptions
{
    /// <summary>A unique name, e.g. <c>primary</c> or <c>backup</c>. Required.</summary>
    public string Name { get; set; } = "";

    /// <summary>The node's SOAP endpoint (<c>https://…/commons/subscriber/soap/&lt;node&gt;/</c>; must pass the outbound URL policy). Required.</summary>
    public string Url { get; set; } = "";

    /// <summary>WS-Security UsernameToken user. Required.</summary>
    public string Username { get; set; } = "";

    /// <summary>WS-Security password (sent only as a PasswordDigest). Required; never logged.</summary>
    public string Password { get; set; } = "";
}
