namespace AlertHub.Core.Storage;

/// <summary>
/// One 町字 representative point: 大字・町丁目 (<see cref="Town"/>) and, for 小字 level points, its 小字 (<see cref="Koaza"/>,
/// empty otherwise); <see cref="District"/> is an optional wider name shown beside it (the former municipality, 地域).
/// </summary>
internal sealed record TownPoint(string Town, string Koaza, string? District, double Lat, double Lon)
{
    /// <summary>How residents read it: 「赤川」 or 「赤川 樋掛」.</summary>
    public string Name => Koaza.Length == 0 ? Town : $"{Town} {Koaza}";
}

/// <summary>Where the current set of points came from, for the credit line the data's licence asks for.</summary>
internal sealed record TownPointSet(int Count, string? Attribution, DateTimeOffset ImportedAt, string ImportedBy);

/// <summary>
/// The 町字 points imported at run time, one set at a time; the owner of <c>town_points</c> and <c>town_point_sets</c>.
/// A city has a few thousand points, a prefecture about a hundred thousand: the feature keeps them in memory, so the store
/// only loads the whole set and replaces it.
/// </summary>
internal interface ITownPointStore
{
    /// <summary>
    /// The points in the order they were imported, and the set they belong to (null when none is imported). Both come from
    /// one snapshot: a load that overlaps a replace sees the old set or the new one, never a mix.
    /// </summary>
    Task<(IReadOnlyList<TownPoint> Points, TownPointSet? Set)> LoadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Replaces every point and the set in one transaction (a bulk load); the set's count is the number of points stored.
    /// An empty list clears both: a later load answers no points and no set, whatever <paramref name="set"/> says.
    /// </summary>
    Task ReplaceAsync(IReadOnlyList<TownPoint> points, TownPointSet set, CancellationToken cancellationToken);
}
