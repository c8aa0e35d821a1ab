using AlertHub.Core.Geo;
using AlertHub.Core.Targeting;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Targeting;
using NetTopologySuite.Geometries;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Which places active alerts cover, so cameras there take snapshots faster. Deliberately simple: the
/// current version of the most recent alerts, skipping cancelled, ended and expired ones.
/// </summary>
internal sealed class ActiveAlertCoverage(AlertRecords alerts, TargetingService targeting, TimeProvider time)
{
    private static readonly GeometryFactory Factory = new();
    private IReadOnlyList<TargetShape> _shapes = [];

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var shapes = new List<TargetShape>();
        foreach (var alert in await alerts.ListCurrentVersionsAsync(200, cancellationToken))
        {
            if (alert.MsgType == MsgType.Cancel || alert.AllClear || alert.Expires is { } expires && expires <= now)
            {
                continue;
            }

            try
            {
                shapes.AddRange(targeting.ResolveShapes(alert.Area));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // An area deleted since the alert was issued: nothing to cover.
            }
        }

        _shapes = shapes;
    }

    public bool Covers(double lat, double lon)
    {
        var point = Factory.CreatePoint(new Coordinate(lon, lat));
        return _shapes.Any(s => s switch
        {
            PolygonShape p => p.Geometry.Covers(point),
            CircleShape c => Haversine.DistanceMeters(c.Lat, c.Lon, lat, lon) <= c.RadiusMeters,
            _ => false,
        });
    }
}
