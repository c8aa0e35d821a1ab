using AlertHub.Server.Features.Delivery.Channels.Telephony;

namespace AlertHub.UnitTests.Channels.Telephony;

public sealed class PhoneNumbersTests
{
    [Theory]
    [InlineData("0182-32-2111", "+81182322111", "Landline")]
    [InlineData("(0182) 32-2111", "+81182322111", "Landline")]
    [InlineData("０１８２－３２－２１１１", "+81182322111", "Landline")]
    [InlineData("090-1234-5678", "+819012345678", "Mobile")]
    [InlineData("080 1234 5678", "+818012345678", "Mobile")]
    [InlineData("070.1234.5678", "+817012345678", "Mobile")]
    [InlineData("+81 90 1234 5678", "+819012345678", "Mobile")]
    [InlineData("＋８１９０１２３４５６７８", "+819012345678", "Mobile")]
    [InlineData("+81 0182 32 2111", "+81182322111", "Landline")]
    [InlineData("050-1234-5678", "+815012345678", "IpPhone")]
    [InlineData("03-1234-5678", "+81312345678", "Landline")]
    [InlineData("+1 415 555 0100", "+14155550100", "Unknown")]
    public void TryNormalise_JapaneseAndInternationalForms_GiveE164(string input, string e164, string kind)
    {
        var number = PhoneNumbers.TryNormalise(input, out var reason);

        Assert.NotNull(number);
        Assert.Null(reason);
        Assert.Equal(e164, number.E164);
        Assert.Equal(kind, number.Kind.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("182-32-2111")] // no area-code 0 and no +: ambiguous
    [InlineData("0182-32-211")] // one digit short
    [InlineData("090-1234-56789")] // one digit too many
    [InlineData("0570-000-000")] // ナビダイヤル
    [InlineData("0120-000-000")] // free dial
    [InlineData("0990-123-456")] // premium
    [InlineData("010-1-415-555-0100")] // international prefix: write it with +
    [InlineData("+0182322111")]
    [InlineData("+1234567890123456")] // 16 digits
    [InlineData("090-1234-5678 内線2")]
    [InlineData("tel:0901234567")]
    [InlineData("060-1234-5678")] // an 11-digit number is a mobile (070/080/090) or an IP phone (050)
    public void TryNormalise_WhatIsNotACallableNumber_IsRefusedWithAReason(string input)
    {
        Assert.Null(PhoneNumbers.TryNormalise(input, out var reason));
        Assert.False(string.IsNullOrWhiteSpace(reason));
    }

    [Fact]
    public void Masked_ShowsOnlyTheLastFourDigits() => Assert.Equal("…2111", PhoneNumbers.Masked("+81182322111"));
}
