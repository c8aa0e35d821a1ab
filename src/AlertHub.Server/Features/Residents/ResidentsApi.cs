using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Cluster;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Infrastructure;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Residents;

internal sealed record ImportedResident(int Line, Guid Id, string Token, string? ExternalId);
internal sealed record ImportRejection(int Line, string Code, string Detail);
internal sealed record ImportResult(int Accepted, int Rejected, IReadOnlyList<ImportedResident> Residents, IReadOnlyList<ImportRejection> Rejections);
internal sealed record LocationAccepted(double Lat, double Lon, DateTimeOffset ExpiresAt);

internal static class ResidentsApi
{
    public const string RegistrationRateLimit = "resident-registration";
    private const int ImportChunk = 5_000;

    public static IHostApplicationBuilder AddResidents(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<ResidentsOptions>(builder.Configuration.GetSection("Residents"));
        builder.Services.AddSingleton<ResidentStore>();
        builder.Services.AddSingleton<ResidentValidator>();
        builder.Services.AddSingleton<ResidentIndexSync>();
        // Follows other nodes' resident changes on a shared store; does nothing on a single node.
        builder.Services.AddSingleton<ResidentIndexFollower>();
        builder.Services.AddSingleton<IStartupStep>(sp => sp.GetRequiredService<ResidentIndexFollower>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ResidentIndexFollower>());
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(RegistrationRateLimit, context =>
            {
                var perMinute = context.RequestServices.GetRequiredService<IOptions<ResidentsOptions>>().Value.RegistrationsPerMinutePerClient;
                var client = ClientAddress.KeyOf(context);
                if (perMinute > 0 && context.RequestServices.GetService<ClusterRedis>() is { } redis)
                {
                    // Cluster: the same limit, counted across every node in Redis.
                    return ClusterFixedWindowLimiter.Partition(redis, RegistrationRateLimit, client, perMinute, TimeSpan.FromMinutes(1),
                        context.RequestServices.GetRequiredService<ILogger<ClusterFixedWindowLimiter>>());
                }

                return perMinute <= 0
                    ? RateLimitPartition.GetNoLimiter(client)
                    : RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = perMinute,
                        Window = TimeSpan.FromMinutes(1),
                        QueueLimit = 0,
                    });
            });
            limiter.OnRejected = async (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                }

                await Problems.WriteAsync(context.HttpContext, 429, Problems.ResidentRateLimited, "Too many registrations from this address.",
                    "Try again later.");
            };
        });
        return builder;
    }

    public static RouteGroupBuilder MapResidentsApi(this IEndpointRouteBuilder app, long importMaxBytes)
    {
        var group = app.MapGroup("/api/residents").WithTags("Residents");

        group.MapPost("/", async (ResidentRequest request, ResidentValidator validator, ResidentStore store, ResidentIndexSync index,
            IEnumerable<IEndpointRegistrationHook> hooks, CancellationToken ct) =>
        {
            var valid = validator.Validate(request);
            var registered = (await store.InsertAsync([valid], ct))[0];
            index.Index.Upsert(ResidentIndexSync.ToProfile(registered.Id, valid));
            await RunHooksAsync(hooks, [registered.Id], ct);
            return TypedResults.Created($"/api/residents/{registered.Id}", registered);
        }).RequireRateLimiting(RegistrationRateLimit);

        group.MapGet("/{id:guid}", async Task<Results<Ok<ResidentView>, ProblemHttpResult>> (Guid id, HttpRequest http, ResidentStore store, CancellationToken ct) =>
        {
            if (!await store.VerifyTokenAsync(id, ResidentToken(http), ct))
            {
                return InvalidToken();
            }

            return await store.GetAsync(id, ct) is { } view ? TypedResults.Ok(view) : Problems.NotFoundProblem(Problems.ResidentNotFound, $"No resident {id}.");
        });

        group.MapPut("/{id:guid}", async Task<Results<NoContent, ProblemHttpResult>> (Guid id, ResidentRequest request, HttpRequest http,
            ResidentValidator validator, ResidentStore store, ResidentIndexSync index, IEnumerable<IEndpointRegistrationHook> hooks, CancellationToken ct) =>
        {
            if (!await store.VerifyTokenAsync(id, ResidentToken(http), ct))
            {
                return InvalidToken();
            }

            var valid = validator.Validate(request);
            if (!await store.ReplaceAsync(id, valid, ct))
            {
                return Problems.NotFoundProblem(Problems.ResidentNotFound, $"No resident {id}.");
            }

            // Re-read: the store keeps an already confirmed address active, which the request alone does not show.
            await index.RefreshAsync([id], ct);
            await RunHooksAsync(hooks, [id], ct);
            return TypedResults.NoContent();
        });

        group.MapDelete("/{id:guid}", async Task<Results<NoContent, ProblemHttpResult>> (Guid id, HttpRequest http, ResidentStore store,
            ResidentIndexSync index, AuditLog audit, CancellationToken ct) =>
        {
            // The resident may forget themselves; an admin may too (e.g. on a written request), and that is audited.
            var isAdmin = http.HttpContext.User.IsInRole(StaffRoles.Admin);
            if (!isAdmin && !await store.VerifyTokenAsync(id, ResidentToken(http), ct))
            {
                return InvalidToken();
            }

            if (!await store.DeleteAsync(id, ct))
            {
                return Problems.NotFoundProblem(Problems.ResidentNotFound, $"No resident {id}.");
            }

            index.Index.Remove(id);
            if (isAdmin)
            {
                await audit.WriteAsync(http.HttpContext.User.Actor(), "residents.delete", id.ToString(), null, ct);
            }

            return TypedResults.NoContent();
        });

        group.MapPost("/{id:guid}/location", async Task<Results<Ok<LocationAccepted>, ProblemHttpResult>> (Guid id, LocationRequest request, HttpRequest http,
            ResidentStore store, ResidentIndexSync index, IOptions<ResidentsOptions> options, TimeProvider time, CancellationToken ct) =>
        {
            if (!await store.VerifyTokenAsync(id, ResidentToken(http), ct))
            {
                return InvalidToken();
            }

            if (request.Lat is not double lat || request.Lon is not double lon || lat is < -90 or > 90 || lon is < -180 or > 180 || !double.IsFinite(lat) || !double.IsFinite(lon))
            {
                return Problems.BadRequest(Problems.ResidentLocationInvalid, "lat in [-90, 90] and lon in [-180, 180] are required.");
            }

            var expires = time.GetUtcNow() + options.Value.CurrentLocationTtl;
            if (!await store.SetLocationAsync(id, lat, lon, expires, ct))
            {
                return Problems.NotFoundProblem(Problems.ResidentNotFound, $"No resident {id}.");
            }

            index.Index.SetCurrentLocation(id, lat, lon, expires);
            return TypedResults.Ok(new LocationAccepted(lat, lon, expires));
        });

        group.MapDelete("/{id:guid}/location", async Task<Results<NoContent, ProblemHttpResult>> (Guid id, HttpRequest http, ResidentStore store,
            ResidentIndexSync index, CancellationToken ct) =>
        {
            if (!await store.VerifyTokenAsync(id, ResidentToken(http), ct))
            {
                return InvalidToken();
            }

            await store.ClearLocationAsync(id, ct);
            index.Index.ClearCurrentLocation(id);
            return TypedResults.NoContent();
        });

        group.MapPost("/import", ImportAsync)
            .RequireAuthorization(StaffRoles.Policies.Admin)
            .WithMetadata(new BodyLimit(importMaxBytes));

        return group;
    }

    /// <summary>
    /// Bulk NDJSON import: every line is validated on its own; accepted lines are stored in chunks (and stay
    /// stored whatever later lines hold), rejected ones are reported with their line number and code.
    /// </summary>
    /// <remarks>
    /// <c>?emailConfirmed=true</c> stores e-mail addresses as already confirmed (skipping the double opt-in mail),
    /// for lists the city collected with consent elsewhere; the audit entry records that it was used.
    /// </remarks>
    private static async Task<Ok<ImportResult>> ImportAsync(HttpRequest http, ResidentValidator validator, ResidentStore store,
        ResidentIndexSync index, AuditLog audit, IEnumerable<IEndpointRegistrationHook> hooks, IOptions<ResidentsOptions> options, CancellationToken ct)
    {
        var emailConfirmed = string.Equals(http.Query["emailConfirmed"], "true", StringComparison.OrdinalIgnoreCase);
        var maxLineBytes = options.Value.ImportMaxLineBytes;
        var imported = new List<ImportedResident>();
        var rejections = new List<ImportRejection>();
        var pending = new List<(int Line, ValidResident Resident)>(ImportChunk);
        await using var reader = new BoundedLineReader(http.Body, maxLineBytes);
        while (await reader.ReadLineAsync(ct) is { } read)
        {
            var lineNumber = (int)read.Number;
            if (read.TooLongBytes is { } length)
            {
                // Skipped as it streamed past, never held: one oversized row costs the rest of the file nothing.
                rejections.Add(new ImportRejection(lineNumber, Problems.ResidentImportLineTooLong,
                    $"The line is {length} bytes; Residents:ImportMaxLineBytes allows {maxLineBytes}."));
                continue;
            }

            // The same text rule as every JSON body (no invalid UTF-8, no lone surrogate escapes), per line.
            var line = LineText(read.Bytes, lineNumber == 1);
            var textProblem = line is null ? "The line is not valid UTF-8." : TextProblem(read.Bytes);
            if (textProblem is not null)
            {
                rejections.Add(new ImportRejection(lineNumber, Problems.InvalidText, textProblem));
                continue;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                var request = JsonSerializer.Deserialize<ResidentRequest>(line, Json.Options);
                var valid = validator.Validate(request);
                if (emailConfirmed)
                {
                    valid = valid with
                    {
                        Endpoints = [.. valid.Endpoints.Select(e => e is { Channel: "email", State: EndpointStates.Pending } ? e with { State = EndpointStates.Active } : e)],
                    };
                }

                pending.Add((lineNumber, valid));
            }
            catch (JsonException e)
            {
                rejections.Add(new ImportRejection(lineNumber, Problems.MalformedJson, e.Message));
            }
            catch (RequestValidationException e)
            {
                rejections.Add(new ImportRejection(lineNumber, e.Code, e.Message));
            }

            if (pending.Count == ImportChunk)
            {
                await FlushAsync();
            }
        }

        await FlushAsync();
        await audit.WriteAsync(http.HttpContext.User.Actor(), "residents.import", null, $"accepted {imported.Count}, rejected {rejections.Count}{(emailConfirmed ? ", emailConfirmed=true (double opt-in skipped)" : "")}", ct);
        return TypedResults.Ok(new ImportResult(imported.Count, rejections.Count, imported, rejections));

        async Task FlushAsync()
        {
            if (pending.Count == 0)
            {
                return;
            }

            var stored = await store.InsertAsync([.. pending.Select(p => p.Resident)], CancellationToken.None);
            index.Index.BulkUpsert(stored.Select((s, i) => ResidentIndexSync.ToProfile(s.Id, pending[i].Resident)));
            imported.AddRange(stored.Select((s, i) => new ImportedResident(pending[i].Line, s.Id, s.Token, pending[i].Resident.ExternalId)));
            await RunHooksAsync(hooks, [.. stored.Select(s => s.Id)], CancellationToken.None);
            pending.Clear();
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The line as text (a UTF-8 byte order mark on the first line dropped), or null when it is not valid UTF-8.</summary>
    private static string? LineText(ReadOnlySequence<byte> bytes, bool first)
    {
        if (first && bytes.Length >= 3 && bytes.Slice(0, 3).ToArray() is [0xEF, 0xBB, 0xBF])
        {
            bytes = bytes.Slice(3);
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static string? TextProblem(ReadOnlySequence<byte> bytes)
    {
        var validator = new JsonTextValidator();
        foreach (var segment in bytes)
        {
            if (validator.Feed(segment.Span) is { } reason)
            {
                return $"The line is not valid text: {reason}";
            }
        }

        return null;
    }

    private static async Task RunHooksAsync(IEnumerable<IEndpointRegistrationHook> hooks, IReadOnlyList<Guid> ids, CancellationToken ct)
    {
        foreach (var hook in hooks)
        {
            await hook.OnRegisteredAsync(ids, ct);
        }
    }

    public static string? ResidentToken(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        if (header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        return request.Headers["X-Resident-Token"];
    }

    private static ProblemHttpResult InvalidToken() =>
        Problems.Create(401, Problems.AuthInvalidResidentToken, "The resident token is not valid.",
            "Send the token returned at registration as 'Authorization: Bearer <token>'.");
}
