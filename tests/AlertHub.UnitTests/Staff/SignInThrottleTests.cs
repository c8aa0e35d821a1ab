using AlertHub.Server.Features.Staff;
using AlertHub.UnitTests.Targeting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.UnitTests.Staff;

public sealed class SignInThrottleTests
{
    private static readonly DateTimeOffset Start = new(2026, 7, 1, 3, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
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

    [Fact]
    public void TryBegin_ABurstForOneUsername_ReservesOnlyTheLimit_AndTheRightPasswordAfterItIsRefused()
    {
        var reserved = Enumerable.Range(0, 40).Select(i => _throttle.TryBegin("sato", $"10.0.1.{i}", out _)).Where(a => a is not null).ToList();
        Assert.Equal(3, reserved.Count);
        Assert.Null(_throttle.TryBegin("sato", "10.0.2.1", out var wait));
        Assert.Equal(TimeSpan.FromMinutes(15), wait);

        Assert.Null(_throttle.Fail(reserved[0]!));
        Assert.Null(_throttle.Fail(reserved[1]!));
        Assert.Equal(TimeSpan.FromMinutes(15), _throttle.Fail(reserved[2]!));
        Assert.Null(_throttle.TryBegin("sato", "10.0.2.1", out wait));
        Assert.Equal(TimeSpan.FromMinutes(15), wait);
        Assert.NotNull(_throttle.TryBegin("suzuki", "10.0.2.1", out _));
    }

    [Fact]
    public void TryBegin_FromOneClient_ReservesOnlyThePerClientLimit()
    {
        var reserved = Enumerable.Range(0, 20).Count(i => _throttle.TryBegin($"user{i}", "192.0.2.7", out _) is not null);
        Assert.Equal(5, reserved);
        Assert.NotNull(_throttle.TryBegin("user99", "192.0.2.8", out _));
    }

    [Fact]
    public void TryBegin_FromManyThreadsAtOnce_NeverReservesMoreThanTheLimit()
    {
        var reserved = 0;
        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            if (_throttle.TryBegin("sato", $"10.1.{i / 250}.{i % 250}", out _) is not null)
            {
                Interlocked.Increment(ref reserved);
            }
        });

        Assert.Equal(3, reserved);
    }

    [Fact]
    public void Succeed_ClearsTheUsername_ButTheClientKeepsItsOtherFailures()
    {
        for (var i = 0; i < 4; i++)
        {
            _throttle.Fail(_throttle.TryBegin($"guess{i}", "192.0.2.7", out _)!);
        }

        var right = _throttle.TryBegin("sato", "192.0.2.7", out _)!;
        _throttle.Succeed(right);
        Assert.Null(_throttle.LockedFor("sato", "192.0.2.8"));

        // A success does not wipe the client's record: one own account does not reset a spraying address.
        Assert.Equal(TimeSpan.FromMinutes(15), _throttle.Fail(_throttle.TryBegin("guess9", "192.0.2.7", out _)!));
    }

    [Fact]
    public void Release_AnAttemptThatWasNeverChecked_DoesNotCount()
    {
        for (var i = 0; i < 10; i++)
        {
            _throttle.Release(_throttle.TryBegin("sato", "10.0.0.1", out _)!);
        }

        var attempts = Enumerable.Range(0, 3).Select(i => _throttle.TryBegin("sato", "10.0.0.1", out _)).ToList();
        Assert.All(attempts, Assert.NotNull);
    }

    [Fact]
    public void Fail_CalledTwiceForOneAttempt_CountsOnce()
    {
        var attempt = _throttle.TryBegin("sato", "10.0.0.1", out _)!;
        _throttle.Fail(attempt);
        _throttle.Fail(attempt);
        _throttle.Release(attempt);
        Assert.NotNull(_throttle.TryBegin("sato", "10.0.0.1", out _));
        Assert.NotNull(_throttle.TryBegin("sato", "10.0.0.1", out _));
        Assert.Null(_throttle.TryBegin("sato", "10.0.0.1", out _));
    }
}
