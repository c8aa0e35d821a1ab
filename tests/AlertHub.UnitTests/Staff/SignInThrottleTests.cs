using AlertHub.Server.Features.Staff;
using AlertHub.UnitTests.Targeting;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Staff;

public sealed class SignInThrottleTests
{
    private static readonly DateTimeOffset Start = new(2026, 7, 1, 3, 0, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _time = new(Start);
    private readonly SignInThrottle _throttle;

    public SignInThrottleTests() => _throttle = new SignInThrottle(Options.Create(new StaffOptions
    {
        MaxFailures = 3,
        MaxFailuresPerClient = 5,
        FailureWindow = TimeSpan.FromMinutes(10),
        LockoutDuration = TimeSpan.FromMinutes(15),
    }), _time);

    [Fact]
    public void Failures_UpToTheLimit_LockTheUsernameForTheLockoutDuration()
    {
        Assert.Null(_throttle.RecordFailure("sato", "10.0.0.1"));
        Assert.Null(_throttle.RecordFailure("sato", "10.0.0.2"));
        Assert.Null(_throttle.LockedFor("sato", "10.0.0.3"));
        Assert.Equal(TimeSpan.FromMinutes(15), _throttle.RecordFailure("sato", "10.0.0.3"));
        Assert.Equal(TimeSpan.FromMinutes(15), _throttle.LockedFor("sato", "10.0.0.9"));

        _time.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(TimeSpan.FromMinutes(1), _throttle.LockedFor("sato", "10.0.0.9"));
        Assert.Null(_throttle.LockedFor("suzuki", "10.0.0.9"));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(_throttle.LockedFor("sato", "10.0.0.9"));
    }

    [Fact]
    public void Failures_OutsideTheWindow_DoNotAddUp()
    {
        _throttle.RecordFailure("sato", "10.0.0.1");
        _throttle.RecordFailure("sato", "10.0.0.1");
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.Null(_throttle.RecordFailure("sato", "10.0.0.1"));
        Assert.Null(_throttle.RecordFailure("sato", "10.0.0.1"));
        Assert.NotNull(_throttle.RecordFailure("sato", "10.0.0.1"));
    }

    [Fact]
    public void Success_ClearsTheUsernamesFailures()
    {
        _throttle.RecordFailure("sato", "10.0.0.1");
        _throttle.RecordFailure("sato", "10.0.0.1");
        _throttle.RecordSuccess("sato");
        Assert.Null(_throttle.RecordFailure("sato", "10.0.0.1"));
        Assert.Null(_throttle.RecordFailure("sato", "10.0.0.1"));
    }

    [Fact]
    public void ManyUsernamesFromOneClient_LockTheClient()
    {
        for (var i = 0; i < 4; i++)
        {
            Assert.Null(_throttle.RecordFailure($"user{i}", "192.0.2.7"));
        }

        Assert.Equal(TimeSpan.FromMinutes(15), _throttle.RecordFailure("user4", "192.0.2.7"));
        Assert.NotNull(_throttle.LockedFor("someone-else", "192.0.2.7"));
        Assert.Null(_throttle.LockedFor("someone-else", "192.0.2.8"));
    }
}
