using AlertHub.Server.Features.Delivery.Channels.Email;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Channels.Email;

public sealed class EmailEndpointValidatorTests
{
    [Theory]
    [InlineData("taro@example.jp", "taro@example.jp")]
    [InlineData("  Taro.Yamada+bousai@Example.JP ", "Taro.Yamada+bousai@example.jp")]
    [InlineData("hanako@例え.jp", "hanako@xn--r8jz45g.jp")]
    [InlineData("hanako@横手.jp", "hanako@xn--kpu18o.jp")]
    [InlineData("taro..yamada.@docomo.ne.jp", "taro..yamada.@docomo.ne.jp")]
    public void TryNormalise_AcceptedAddress_IsNormalised(string input, string expected)
    {
        Assert.True(EmailEndpointValidator.TryNormalise(input, out var address, out var reason), reason);
        Assert.Equal(expected, address);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("taro")]
    [InlineData("taro@")]
    [InlineData("@example.jp")]
    [InlineData("Taro <taro@example.jp>")]
    [InlineData("taro@example.jp, jiro@example.jp")]
    [InlineData("taro@localhost")]
    [InlineData("taro@[127.0.0.1]")]
    [InlineData("taro@10.0.0.1")]
    [InlineData("\"taro\"@example.jp")]
    [InlineData("たろう@example.jp")]
    [InlineData("taro@exa mple.jp")]
    [InlineData("taro@example..jp")]
    [InlineData("taro@-example.jp")]
    public void TryNormalise_BadAddress_IsRefused(string? input) =>
        Assert.False(EmailEndpointValidator.TryNormalise(input, out _, out _));

    [Fact]
    public void TryNormalise_LengthLimits_AreRfc5321()
    {
        Assert.True(EmailEndpointValidator.TryNormalise(new string('a', 64) + "@example.jp", out _, out _));
        Assert.False(EmailEndpointValidator.TryNormalise(new string('a', 65) + "@example.jp", out _, out _));
        var longDomain = string.Join('.', Enumerable.Repeat(new string('d', 60), 5)) + ".jp";
        Assert.False(EmailEndpointValidator.TryNormalise("a@" + longDomain, out _, out _));
        Assert.False(EmailEndpointValidator.TryNormalise("a@" + new string('d', 64) + ".jp", out _, out _));
    }

    [Fact]
    public void Validate_WithConfirmationRequired_StoresPending()
    {
        var pending = new EmailEndpointValidator(Options.Create(new EmailChannelOptions { RequireConfirmation = true }))
            .Validate(new EndpointDto("email", "taro@example.jp", "ignored"), 0);
        Assert.Equal(new ValidEndpoint("email", "taro@example.jp", null, EndpointStates.Pending), pending);
        var active = new EmailEndpointValidator(Options.Create(new EmailChannelOptions { RequireConfirmation = false }))
            .Validate(new EndpointDto("email", "taro@example.jp", null), 0);
        Assert.Equal(EndpointStates.Active, active.State);
    }

    [Fact]
    public void Validate_BadAddress_ThrowsEndpointInvalidWithIndex()
    {
        var e = Assert.Throws<RequestValidationException>(() =>
            new EmailEndpointValidator(Options.Create(new EmailChannelOptions())).Validate(new EndpointDto("email", "nope", null), 3));
        Assert.Equal(Problems.ResidentEndpointInvalid, e.Code);
        Assert.Equal(3, e.Extensions!["index"]);
    }
}
