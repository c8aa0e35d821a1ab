using AlertHub.Server.Features.Areas;
using AlertHub.Tests.Shared;

namespace AlertHub.UnitTests.Security;

public sealed class AreaCodesRealDataTests
{
    [SharedDataFact]
    public void JisCheckDigit_EveryCodeInTheSoumuList_Matches()
    {
        var lines = File.ReadAllLines(SharedData.Path("geo", "codes", "lg_codes_japan_soumu.csv")!).Skip(1).ToList();
        Assert.True(lines.Count > 1900);
        foreach (var line in lines)
        {
            var parts = line.Split(',');
            Assert.Equal(parts[1], AreaCodes.Normalise(parts[0]));
        }
    }
}
