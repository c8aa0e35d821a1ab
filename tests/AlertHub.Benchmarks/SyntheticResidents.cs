using AlertHub.Core.Targeting;

namespace AlertHub.Benchmarks;

/// <summary>Deterministic synthetic residents scattered over and around Yokote's bounding box.</summary>
internal static class SyntheticResidents
{
    // Yokote bbox (lon 140.26–140.79, lat 39.09–39.41) widened so plenty of places fall outside the city.
    private const double MinLon = 140.21, MaxLon = 140.84, MinLat = 39.05, MaxLat = 39.45;

    private static readonly string[] Household = ["elderly", "children", "care-needed", "pregnant"];
    private static readonly string[] Languages = ["ja", "ja", "ja", "ja", "ja", "ja", "ja-x-easy", "en", "zh", "vi"];
    private static readonly string[] Tags = ["volunteer", "farmer", "student", "commuter", "fire-brigade"];
    private static readonly string[] Channels = ["fcm", "webpush", "line", "email"];

    public static List<ResidentProfile> Create(int count, int seed = 20260101)
    {
        var random = new Random(seed);
        var residents = new List<ResidentProfile>(count);
        for (var i = 0; i < count; i++)
        {
            var places = new ResidentPlace[random.Next(1, 4)];
            for (var p = 0; p < places.Length; p++)
            {
                places[p] = new ResidentPlace(MinLat + (random.NextDouble() * (MaxLat - MinLat)), MinLon + (random.NextDouble() * (MaxLon - MinLon)));
            }

            residents.Add(new ResidentProfile(
                new Guid(random.Next(), (short)random.Next(), (short)random.Next(), BitConverter.GetBytes(random.NextInt64())),
                Pick(random, Household, 0.2),
                Languages[random.Next(Languages.Length)],
                Pick(random, Tags, 0.1),
                places,
                Pick(random, Channels, 0.4)));
        }

        return residents;
    }

    private static string[] Pick(Random random, string[] values, double probability) =>
        values.Where(_ => random.NextDouble() < probability).ToArray();
}
