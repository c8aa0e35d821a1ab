namespace AlertHub.Server.Infrastructure;

/// <summary>
/// The one table of error codes. Every error the hub returns is a ProblemDetails with a stable
/// <c>code</c> extension from this class, so clients can branch on it without parsing text.
/// </summary>
internal static class Problems
{
    public const string MalformedJson = "request.malformed_json";
    public const string InvalidRequest = "request.invalid";
    public const string TooLarge = "request.too_large";
    public const string UnsupportedMediaType = "request.unsupported_media_type";
    public const string NotFound = "request.not_found";
    public const string Internal = "server.internal";

    public const string AuthMissingKey = "auth.missing_key";
    public const string AuthInvalidKey = "auth.invalid_key";
    public const string AuthForbidden = "auth.forbidden";
    public const string AuthInvalidResidentToken = "auth.invalid_resident_token";

    public const string ResidentInvalid = "residents.invalid";
    public const string ResidentPlaceInvalid = "residents.place_invalid";
    public const string ResidentTooManyPlaces = "residents.too_many_places";
    public const string ResidentHouseholdTagUnknown = "residents.household_tag_unknown";
    public const string ResidentLanguageInvalid = "residents.language_invalid";
    public const string ResidentEndpointInvalid = "residents.endpoint_invalid";
    public const string ResidentChannelUnknown = "residents.channel_unknown";
    public const string ResidentEndpointUrlForbidden = "residents.endpoint_url_forbidden";
    public const string ResidentNotFound = "residents.not_found";
    public const string ResidentRateLimited = "residents.rate_limited";
    public const string ResidentLocationInvalid = "residents.location_invalid";

    public const string AreaNotFound = "targeting.area_not_found";
    public const string AreaCodeUnknown = "targeting.code_unknown";
    public const string AreaEmpty = "targeting.area_empty";
    public const string AreaInvalid = "areas.invalid";
    public const string CircleInvalid = "targeting.circle_invalid";
    public const string PlaceKindNotPublic = "dashboard.place_kind_not_public";
    public const string AudienceInvalid = "targeting.audience_invalid";

    public const string AlertInvalid = "alerts.invalid";
    public const string AlertTextMissing = "alerts.text_missing";
    public const string AlertExpired = "alerts.already_expired";
    public const string AlertNotFound = "alerts.not_found";
    public const string AlertAlreadyCancelled = "alerts.already_cancelled";
    public const string AlertChannelUnknown = "alerts.channel_unknown";
    public const string DraftNotFound = "alerts.draft_not_found";
    public const string DraftSelfApproval = "alerts.draft_self_approval";
    public const string DraftAlreadyDecided = "alerts.draft_already_decided";
    public const string AlertAlreadyEnded = "alerts.already_ended";
    public const string AlertVersionConflict = "alerts.version_conflict";

    public const string FeedDocumentUnknownSource = "feeds.source_unknown";
    public const string EventNotFound = "feeds.event_not_found";
    public const string EventCodeAmbiguous = "feeds.code_ambiguous";
    public const string EventCodeInvalid = "feeds.code_invalid";
    public const string RulesInvalid = "rules.invalid";

    public const string EmailTokenInvalid = "email.token_invalid";
    public const string EmailTokenExpired = "email.token_expired";
    public const string EmailEndpointNotFound = "email.endpoint_not_found";

    public const string LineSignatureInvalid = "line.signature_invalid";

    public const string DronePhotoTooLarge = "drone_photos.too_large";
    public const string DronePhotoNotJpeg = "drone_photos.not_jpeg";
    public const string DronePhotoTruncated = "drone_photos.truncated";
    public const string DronePhotoUndecodable = "drone_photos.undecodable";
    public const string DronePhotoMissing = "drone_photos.missing_photo";
    public const string DronePhotoInvalid = "drone_photos.invalid";
    public const string DronePhotoPositionInvalid = "drone_photos.position_invalid";
    public const string DronePhotoNotFound = "drone_photos.not_found";

    public const string StorageDiskLow = "storage.disk_low";
    public const string AlertImageSourceUnknown = "alerts.image_source_unknown";
    public const string AlertImageNotFound = "alerts.image_not_found";
    public const string AlertImageInvalid = "alerts.image_invalid";
    public const string AlertImageFileNotFound = "media.alert_image_not_found";

    public const string KeyNotFound = "keys.not_found";
    public const string KeyRoleInvalid = "keys.role_invalid";

    // Staff sign-in and users, approval, shelters, safety replies.
    public const string AuthInvalidCredentials = "auth.invalid_credentials";
    public const string AuthLockedOut = "auth.locked_out";
    public const string AuthCsrfInvalid = "auth.csrf_invalid";
    public const string AuthSessionInvalid = "auth.session_invalid";
    public const string StaffUserInvalid = "staff.user_invalid";
    public const string StaffUserExists = "staff.user_exists";
    public const string StaffUserNotFound = "staff.user_not_found";
    public const string StaffPasswordWeak = "staff.password_weak";
    public const string StaffSelfChange = "staff.self_change_forbidden";
    public const string AlertApprovalRequired = "alerts.approval_required";
    public const string AlertBypassReasonRequired = "alerts.bypass_reason_required";
    public const string ShelterInvalid = "shelters.invalid";
    public const string ShelterNotFound = "shelters.not_found";
    public const string ShelterExists = "shelters.exists";
    public const string SafetyInvalid = "safety.invalid";
    public const string CameraInvalid = "cameras.invalid";
    public const string CameraKindInvalid = "cameras.kind_invalid";
    public const string CameraUrlInvalid = "cameras.url_invalid";
    public const string CameraUrlForbidden = "cameras.url_forbidden";
    public const string CameraLocationInvalid = "cameras.location_invalid";
    public const string CameraNotFound = "cameras.not_found";
    public const string CameraNoSnapshot = "cameras.no_snapshot";
    public const string CameraSnapshotNotFound = "cameras.snapshot_not_found";
    public const string CameraNoNormalDay = "cameras.no_normal_day";
    public const string CameraImageNotJpeg = "cameras.image_not_jpeg";
    public const string CameraImageTruncated = "cameras.image_truncated";
    public const string CameraImageUndecodable = "cameras.image_undecodable";
    public const string CameraImageTooLarge = "cameras.image_too_large";
    public const string CameraLiveUnavailable = "cameras.live_unavailable";
    public const string CameraLiveStarting = "cameras.live_starting";
    public const string CameraMediaEngineUnavailable = "cameras.media_engine_unavailable";
    public const string CameraUpstreamFailed = "cameras.upstream_failed";

    // Input hardening: text and status-only answers, targeting references, sign-in load, import lines.
    public const string InvalidText = "request.invalid_text";
    public const string MethodNotAllowed = "request.method_not_allowed";
    public const string RateLimited = "request.rate_limited";
    public const string AreaReferenceInvalid = "targeting.area_reference_invalid";
    public const string AuthSignInBusy = "auth.signin_busy";
    public const string ResidentImportLineTooLong = "residents.import_line_too_long";

    // Publishing: phone numbers, Twilio callbacks, L-Alert.
    public const string ResidentPhoneInvalid = "residents.phone_invalid";
    public const string ResidentPhoneNotMobile = "residents.phone_not_mobile";
    public const string TelephonySignatureInvalid = "telephony.signature_invalid";
    public const string TelephonyChannelDisabled = "telephony.channel_disabled";
    public const string TelephonyTextNotFound = "telephony.text_not_found";
    public const string LAlertPublicationNotFound = "lalert.publication_not_found";

    private const string ProblemItem = "alerthub.problem";

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
