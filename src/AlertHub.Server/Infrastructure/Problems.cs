using System.Reflection;
using AlertHub.Core;

namespace AlertHub.Server.Infrastructure;

/// <summary>
/// The one table of error codes. Every error the hub returns is a ProblemDetails with a stable
/// <c>code</c> extension from this class (and Core's <see cref="CoreErrorCodes"/>), so clients can branch on it without
/// parsing text. Each code carries its usual status and what it means; <see cref="All"/> is the table docs/api.md shows.
/// </summary>
internal static class Problems
{
    [ProblemCode(400, "The body is not JSON of the expected shape.")]
    public const string MalformedJson = "request.malformed_json";

    [ProblemCode(400, "The request is not valid.")]
    public const string InvalidRequest = "request.invalid";

    [ProblemCode(413, "The body exceeds the endpoint's limit (Http:DefaultMaxBodyBytes; areas and imports have their own), chunked bodies too.")]
    public const string TooLarge = "request.too_large";

    [ProblemCode(415, "The Content-Type is not one the endpoint takes.")]
    public const string UnsupportedMediaType = "request.unsupported_media_type";

    [ProblemCode(404, "No such endpoint.")]
    public const string NotFound = "request.not_found";

    [ProblemCode(500, "An unexpected error; the log has the details.")]
    public const string Internal = "server.internal";

    [ProblemCode(401, "No staff key or session was sent.")]
    public const string AuthMissingKey = "auth.missing_key";

    [ProblemCode(401, "The staff key is unknown or revoked.")]
    public const string AuthInvalidKey = "auth.invalid_key";

    [ProblemCode(403, "The key's or user's role is too small for this.")]
    public const string AuthForbidden = "auth.forbidden";

    [ProblemCode(401, "The resident id or token is wrong.")]
    public const string AuthInvalidResidentToken = "auth.invalid_resident_token";

    [ProblemCode(400, "The resident is not valid.")]
    public const string ResidentInvalid = "residents.invalid";

    [ProblemCode(400, "A place has no valid latitude and longitude.")]
    public const string ResidentPlaceInvalid = "residents.place_invalid";

    [ProblemCode(400, "More places than Residents:MaxPlaces.")]
    public const string ResidentTooManyPlaces = "residents.too_many_places";

    [ProblemCode(400, "A household tag not in Residents:HouseholdTags.")]
    public const string ResidentHouseholdTagUnknown = "residents.household_tag_unknown";

    [ProblemCode(400, "The language is not a BCP 47 tag such as ja, en or ja-x-easy.")]
    public const string ResidentLanguageInvalid = "residents.language_invalid";

    [ProblemCode(400, "An endpoint address is not valid for its channel.")]
    public const string ResidentEndpointInvalid = "residents.endpoint_invalid";

    [ProblemCode(400, "An endpoint names a channel that is not enabled or not personal (social, loudspeaker).")]
    public const string ResidentChannelUnknown = "residents.channel_unknown";

    [ProblemCode(400, "A webhook or push URL is refused by Security:OutboundUrls.")]
    public const string ResidentEndpointUrlForbidden = "residents.endpoint_url_forbidden";

    [ProblemCode(404, "No such resident.")]
    public const string ResidentNotFound = "residents.not_found";

    [ProblemCode(429, "Too many self-registrations from one address (with Retry-After).")]
    public const string ResidentRateLimited = "residents.rate_limited";

    [ProblemCode(400, "A current location without a valid latitude, longitude or lifetime.")]
    public const string ResidentLocationInvalid = "residents.location_invalid";

    [ProblemCode(400, "An alert or preview names an area id that does not exist (404 at /api/areas/{id}).")]
    public const string AreaNotFound = "targeting.area_not_found";

    [ProblemCode(400, "An area code that no area has.")]
    public const string AreaCodeUnknown = "targeting.code_unknown";

    [ProblemCode(400, "No areaIds, geometry, circles or codes were given.")]
    public const string AreaEmpty = "targeting.area_empty";

    [ProblemCode(400, "An area upload that is not valid GeoJSON of polygons.")]
    public const string AreaInvalid = "areas.invalid";

    [ProblemCode(400, "A circle with a bad centre or radius (NaN, Infinity, over 2000 km).")]
    public const string CircleInvalid = "targeting.circle_invalid";

    [ProblemCode(400, "/api/dashboard/places asked for a kind of area other than district.")]
    public const string PlaceKindNotPublic = "dashboard.place_kind_not_public";

    [ProblemCode(400, "A place search without a name of 1–40 characters or with a limit outside 1–20.")]
    public const string PlaceQueryInvalid = "places.query_invalid";

    [ProblemCode(400, "A nearest-place lookup without a valid latitude and longitude.")]
    public const string PlaceCoordinatesInvalid = "places.coordinates_invalid";

    [ProblemCode(400, "A 町字 import that is not GeoJSON Points or the Geolonia array, or over Places:MaxPoints (the current points stay).")]
    public const string PlaceImportInvalid = "places.import_invalid";

    [ProblemCode(400, "The audience filter is not valid.")]
    public const string AudienceInvalid = "targeting.audience_invalid";

    [ProblemCode(400, "The alert is not valid.")]
    public const string AlertInvalid = "alerts.invalid";

    [ProblemCode(400, "No language with a headline or body.")]
    public const string AlertTextMissing = "alerts.text_missing";

    [ProblemCode(422, "expires is in the past: an expired alert is not sent.")]
    public const string AlertExpired = "alerts.already_expired";

    [ProblemCode(404, "No such alert.")]
    public const string AlertNotFound = "alerts.not_found";

    [ProblemCode(409, "An update or cancel of a cancelled alert.")]
    public const string AlertAlreadyCancelled = "alerts.already_cancelled";

    [ProblemCode(400, "The alert names a channel that is not enabled.")]
    public const string AlertChannelUnknown = "alerts.channel_unknown";

    [ProblemCode(404, "No such pending draft.")]
    public const string DraftNotFound = "alerts.draft_not_found";

    [ProblemCode(403, "The author of a draft may not approve it.")]
    public const string DraftSelfApproval = "alerts.draft_self_approval";

    [ProblemCode(409, "Someone else approved or rejected the draft at the same moment.")]
    public const string DraftAlreadyDecided = "alerts.draft_already_decided";

    [ProblemCode(409, "An update or all-clear of an alert that has ended (a cancel is still allowed).")]
    public const string AlertAlreadyEnded = "alerts.already_ended";

    [ProblemCode(409, "A new version raced another one for the same alert; read it again and retry.")]
    public const string AlertVersionConflict = "alerts.version_conflict";

    [ProblemCode(404, "A push to a feed other than jma, lalert or cap.")]
    public const string FeedDocumentUnknownSource = "feeds.source_unknown";

    [ProblemCode(404, "No such feed event.")]
    public const string EventNotFound = "feeds.event_not_found";

    [ProblemCode(400, "GET /api/events?code= with a code of two tables and no scheme.")]
    public const string EventCodeAmbiguous = "feeds.code_ambiguous";

    [ProblemCode(400, "GET /api/events?code= with a code form the hub does not know.")]
    public const string EventCodeInvalid = "feeds.code_invalid";

    [ProblemCode(400, "A rule set that does not validate (the old rules stay).")]
    public const string RulesInvalid = "rules.invalid";

    [ProblemCode(400, "A forged or damaged confirmation or unsubscribe link.")]
    public const string EmailTokenInvalid = "email.token_invalid";

    [ProblemCode(400, "The confirmation link has expired.")]
    public const string EmailTokenExpired = "email.token_expired";

    [ProblemCode(404, "The link's address is no longer registered.")]
    public const string EmailEndpointNotFound = "email.endpoint_not_found";

    [ProblemCode(401, "A LINE webhook whose X-Line-Signature does not verify.")]
    public const string LineSignatureInvalid = "line.signature_invalid";

    [ProblemCode(413, "The upload exceeds DronePhotos:MaxPhotoBytes (refused from Content-Length before the body is read).")]
    public const string DronePhotoTooLarge = "drone_photos.too_large";

    [ProblemCode(415, "The file is not a JPEG (checked by its bytes) or was sent as another type.")]
    public const string DronePhotoNotJpeg = "drone_photos.not_jpeg";

    [ProblemCode(400, "The JPEG ends early.")]
    public const string DronePhotoTruncated = "drone_photos.truncated";

    [ProblemCode(400, "The JPEG cannot be decoded.")]
    public const string DronePhotoUndecodable = "drone_photos.undecodable";

    [ProblemCode(400, "The form has no photo field.")]
    public const string DronePhotoMissing = "drone_photos.missing_photo";

    [ProblemCode(400, "A malformed form or a note that is too long.")]
    public const string DronePhotoInvalid = "drone_photos.invalid";

    [ProblemCode(400, "A bad {lat, lon}.")]
    public const string DronePhotoPositionInvalid = "drone_photos.position_invalid";

    [ProblemCode(404, "No such drone photo.")]
    public const string DronePhotoNotFound = "drone_photos.not_found";

    [ProblemCode(503, "The database cannot be reached or written right now: it is failing over or restarting (with Retry-After).")]
    public const string StoreUnavailable = "store.unavailable";

    [ProblemCode(507, "The data volume is under Storage:MinFreeDiskMegabytes: drone photos are refused so alerts can still be stored.")]
    public const string StorageDiskLow = "storage.disk_low";

    [ProblemCode(400, "image.source is not a registered picture source.")]
    public const string AlertImageSourceUnknown = "alerts.image_source_unknown";

    [ProblemCode(422, "The named snapshot or drone photo does not exist (nothing is issued).")]
    public const string AlertImageNotFound = "alerts.image_not_found";

    [ProblemCode(400, "image lacks a source or id (422 when the picture is not a usable JPEG).")]
    public const string AlertImageInvalid = "alerts.image_invalid";

    [ProblemCode(404, "No such alert picture.")]
    public const string AlertImageFileNotFound = "media.alert_image_not_found";

    [ProblemCode(404, "No such active key.")]
    public const string KeyNotFound = "keys.not_found";

    [ProblemCode(400, "A role that does not exist.")]
    public const string KeyRoleInvalid = "keys.role_invalid";

    // Staff sign-in and users, approval, shelters, safety replies.
    [ProblemCode(401, "Wrong username or password (the same for unknown users).")]
    public const string AuthInvalidCredentials = "auth.invalid_credentials";

    [ProblemCode(429, "Too many failed sign-ins (with Retry-After).")]
    public const string AuthLockedOut = "auth.locked_out";

    [ProblemCode(403, "A cookie request changing state without the right X-CSRF-Token.")]
    public const string AuthCsrfInvalid = "auth.csrf_invalid";

    [ProblemCode(401, "The staff cookie is missing, forged, signed out or expired.")]
    public const string AuthSessionInvalid = "auth.session_invalid";

    [ProblemCode(400, "A bad username, display name or role.")]
    public const string StaffUserInvalid = "staff.user_invalid";

    [ProblemCode(409, "The username is taken.")]
    public const string StaffUserExists = "staff.user_exists";

    [ProblemCode(404, "No such staff user.")]
    public const string StaffUserNotFound = "staff.user_not_found";

    [ProblemCode(400, "The password is missing or outside the allowed length.")]
    public const string StaffPasswordWeak = "staff.password_weak";

    [ProblemCode(403, "An admin may not disable, demote or delete themselves.")]
    public const string StaffSelfChange = "staff.self_change_forbidden";

    [ProblemCode(403, "An issuer must submit a draft for a second person to approve.")]
    public const string AlertApprovalRequired = "alerts.approval_required";

    [ProblemCode(400, "A signed-in approver issuing without a second person must give bypassReason.")]
    public const string AlertBypassReasonRequired = "alerts.bypass_reason_required";

    [ProblemCode(400, "Bad shelter fields.")]
    public const string ShelterInvalid = "shelters.invalid";

    [ProblemCode(404, "No such shelter.")]
    public const string ShelterNotFound = "shelters.not_found";

    [ProblemCode(409, "The shelter id is taken.")]
    public const string ShelterExists = "shelters.exists";

    [ProblemCode(400, "A bad status, note, location or unknown alertId in a safety reply.")]
    public const string SafetyInvalid = "safety.invalid";

    [ProblemCode(400, "The camera is not valid.")]
    public const string CameraInvalid = "cameras.invalid";

    [ProblemCode(400, "kind is not rtsp, hls, mjpeg or jpeg-poll.")]
    public const string CameraKindInvalid = "cameras.kind_invalid";

    [ProblemCode(400, "The camera URL is not one its kind can read.")]
    public const string CameraUrlInvalid = "cameras.url_invalid";

    [ProblemCode(400, "The camera URL is refused by Security:OutboundUrls.")]
    public const string CameraUrlForbidden = "cameras.url_forbidden";

    [ProblemCode(400, "A bad camera location.")]
    public const string CameraLocationInvalid = "cameras.location_invalid";

    [ProblemCode(404, "No such camera.")]
    public const string CameraNotFound = "cameras.not_found";

    [ProblemCode(404, "The camera has no image yet.")]
    public const string CameraNoSnapshot = "cameras.no_snapshot";

    [ProblemCode(404, "No such snapshot.")]
    public const string CameraSnapshotNotFound = "cameras.snapshot_not_found";

    [ProblemCode(404, "No normal-day image was chosen for the camera.")]
    public const string CameraNoNormalDay = "cameras.no_normal_day";

    [ProblemCode(415, "A pushed still that is not a JPEG.")]
    public const string CameraImageNotJpeg = "cameras.image_not_jpeg";

    [ProblemCode(400, "A pushed JPEG that ends early.")]
    public const string CameraImageTruncated = "cameras.image_truncated";

    [ProblemCode(400, "A pushed JPEG that cannot be decoded.")]
    public const string CameraImageUndecodable = "cameras.image_undecodable";

    [ProblemCode(413, "A pushed still over Cameras:MaxSnapshotBytes.")]
    public const string CameraImageTooLarge = "cameras.image_too_large";

    [ProblemCode(404, "The camera has no live view.")]
    public const string CameraLiveUnavailable = "cameras.live_unavailable";

    [ProblemCode(503, "The live relay is starting; try again in a moment.")]
    public const string CameraLiveStarting = "cameras.live_starting";

    [ProblemCode(503, "ffmpeg is not available on this hub.")]
    public const string CameraMediaEngineUnavailable = "cameras.media_engine_unavailable";

    [ProblemCode(502, "The camera did not answer the live relay.")]
    public const string CameraUpstreamFailed = "cameras.upstream_failed";

    // Input hardening: text and status-only answers, targeting references, sign-in load, import lines.
    [ProblemCode(400, "A JSON string is not valid Unicode (invalid UTF-8 or a lone surrogate escape such as \\ud800).")]
    public const string InvalidText = "request.invalid_text";

    [ProblemCode(405, "The endpoint does not take this method.")]
    public const string MethodNotAllowed = "request.method_not_allowed";

    [ProblemCode(429, "Too many requests.")]
    public const string RateLimited = "request.rate_limited";

    [ProblemCode(400, "A null or blank entry in areaIds or codes.")]
    public const string AreaReferenceInvalid = "targeting.area_reference_invalid";

    [ProblemCode(503, "More sign-ins wait for a password check than Staff:MaxQueuedHashes (with Retry-After).")]
    public const string AuthSignInBusy = "auth.signin_busy";

    [ProblemCode(400, "An import line longer than Residents:ImportMaxLineBytes (reported per line; the other lines are imported).")]
    public const string ResidentImportLineTooLong = "residents.import_line_too_long";

    // Compose templates (the starting texts per hazard and language on the compose screen).
    [ProblemCode(400, "A compose template with a bad id, no name or hazard, or a language without a headline or body (the message names the rule).")]
    public const string TemplateInvalid = "templates.invalid";

    [ProblemCode(404, "No such compose template.")]
    public const string TemplateNotFound = "templates.not_found";

    // Publishing: phone numbers, Twilio callbacks, L-Alert.
    [ProblemCode(400, "A phone number (voice or sms endpoint, or a staff-entered household number) is not E.164 or a Japanese 0… number.")]
    public const string ResidentPhoneInvalid = "residents.phone_invalid";

    [ProblemCode(400, "An sms endpoint names a landline or IP phone: SMS goes to mobile numbers (070/080/090) only.")]
    public const string ResidentPhoneNotMobile = "residents.phone_not_mobile";

    [ProblemCode(403, "A Twilio callback whose X-Twilio-Signature (or AccountSid) does not match.")]
    public const string TelephonySignatureInvalid = "telephony.signature_invalid";

    [ProblemCode(404, "A Twilio callback for a channel that is not enabled, or without a call reference.")]
    public const string TelephonyChannelDisabled = "telephony.channel_disabled";

    [ProblemCode(404, "No alert text behind an SMS link (/t/{code}).")]
    public const string TelephonyTextNotFound = "telephony.text_not_found";

    [ProblemCode(404, "No such Lアラート publication.")]
    public const string LAlertPublicationNotFound = "lalert.publication_not_found";

    private const string ProblemItem = "alerthub.problem";

    /// <summary>Every code the hub answers with: this class's and Core's, ordered by code.</summary>
    public static IReadOnlyList<ErrorCode> All { get; } = [.. typeof(Problems)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => f.GetCustomAttribute<ProblemCodeAttribute>() is { } a
            ? new ErrorCode((string)f.GetRawConstantValue()!, a.Status, a.Title)
            : throw new InvalidOperationException($"Problems.{f.Name} has no [ProblemCode]."))
        .Concat(CoreErrorCodes.All)
        .OrderBy(c => c.Code, StringComparer.Ordinal)];

    private static readonly Dictionary<string, ErrorCode> ByCode = All.ToDictionary(c => c.Code, StringComparer.Ordinal);

    /// <summary>The usual status of <paramref name="code"/> (400 for a code the table does not know).</summary>
    public static int StatusOf(string code) => ByCode.TryGetValue(code, out var row) ? row.Status : StatusCodes.Status400BadRequest;

    /// <summary>The table as docs/api.md shows it.</summary>
    public static string Markdown() =>
        "| code | status | meaning |\n|---|---|---|\n" + string.Concat(All.Select(c => $"| `{c.Code}` | {c.Status} | {c.Title.Replace("|", "\\|", StringComparison.Ordinal)} |\n"));

    /// <summary>
    /// The stable code for a response that carries only a status (framework answers such as a body-binding 413 or
    /// a 405): what a request noted with <see cref="SetProblem"/>, else one code per status.
    /// </summary>
    public static (string Code, string? Detail) ForStatus(HttpContext context, int status) =>
        context.Items.TryGetValue(ProblemItem, out var noted) && noted is (string code, string detail)
            ? (code, detail)
            : (status switch
            {
                400 => InvalidRequest,
                401 => AuthMissingKey,
                403 => AuthForbidden,
                404 => NotFound,
                405 => MethodNotAllowed,
                413 => TooLarge,
                415 => UnsupportedMediaType,
                429 => RateLimited,
                >= 500 => Internal,
                _ => InvalidRequest,
            }, null);

    /// <summary>Notes the code and detail for the status-only answer the framework is about to give this request.</summary>
    public static void SetProblem(this HttpContext context, string code, string detail) => context.Items[ProblemItem] = (code, detail);

    /// <summary>Gives every ProblemDetails the hub writes a <c>code</c>, including the framework's own status-only answers.</summary>
    public static void AddCode(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Extensions.ContainsKey("code"))
        {
            return;
        }

        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        var (code, detail) = ForStatus(context.HttpContext, status);
        problem.Extensions["code"] = code;
        problem.Detail ??= detail;
    }

    public static ProblemHttpResult Create(int status, string code, string title, string? detail = null, IDictionary<string, object?>? extensions = null)
    {
        var ext = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["code"] = code };
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: ext);
    }

    public static ProblemHttpResult BadRequest(string code, string detail, IDictionary<string, object?>? extensions = null) =>
        Create(StatusCodes.Status400BadRequest, code, "The request is not valid.", detail, extensions);

    public static ProblemHttpResult NotFoundProblem(string code, string detail) =>
        Create(StatusCodes.Status404NotFound, code, "Not found.", detail);

    public static ProblemHttpResult Unprocessable(string code, string detail) =>
        Create(StatusCodes.Status422UnprocessableEntity, code, "The request cannot be carried out.", detail);

    /// <summary>Writes a ProblemDetails directly to a response (middleware and auth handlers).</summary>
    public static Task WriteAsync(HttpContext context, int status, string code, string title, string? detail = null)
    {
        context.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Instance = context.Request.Path,
        };
        problem.Extensions["code"] = code;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).AsTask();
    }
}

/// <summary>A validation failure carrying its stable code; turned into a 400 ProblemDetails at the API edge.</summary>
internal sealed class RequestValidationException(string code, string detail, IDictionary<string, object?>? extensions = null)
    : Exception(detail)
{
    public string Code { get; } = code;
    public IDictionary<string, object?>? Extensions { get; } = extensions;
    public int Status { get; init; } = StatusCodes.Status400BadRequest;
}

/// <summary>The usual status of an error code and what it means: a row of <see cref="Problems.All"/>.</summary>
[AttributeUsage(AttributeTargets.Field)]
internal sealed class ProblemCodeAttribute(int status, string title) : Attribute
{
    public int Status { get; } = status;

    public string Title { get; } = title;
}
