using System.Buffers.Text;
using System.Security.Cryptography;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Query;

namespace Telemetry.Gateway.Alerts;

/// <summary>A tenant's alert rules (scope <c>admin</c> to change them, <c>read</c> to see them) and their deliveries.</summary>
public static partial class AlertsApi
{
    private const int MaxBodyBytes = 64 * 1024;
    private const int MaxDeliveries = 1000;

    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder routes)
    {
        var alerts = routes.MapGroup("/v1/alerts").WithTags("Alerts");
        alerts.MapPost("/", CreateAsync).RequireAuthorization(ApiKeyDefaults.AdminPolicy)
            .WithName("CreateAlertRule")
            .WithSummary("Creates a rule on the live metrics with its webhook targets; the answer holds the signing secret, shown only here.");
        alerts.MapGet("/", ListAsync).RequireAuthorization(ApiKeyDefaults.ReadPolicy)
            .WithName("ListAlertRules")
            .WithSummary("The tenant's rules with their state (ok or firing).");
        alerts.MapGet("/{id}", GetAsync).RequireAuthorization(ApiKeyDefaults.ReadPolicy)
            .WithName("GetAlertRule")
            .WithSummary("One rule with its state.");
        alerts.MapPut("/{id}", ReplaceAsync).RequireAuthorization(ApiKeyDefaults.AdminPolicy)
            .WithName("ReplaceAlertRule")
            .WithSummary("Replaces a rule's definition; its state and secret stay.");
        alerts.MapDelete("/{id}", DeleteAsync).RequireAuthorization(ApiKeyDefaults.AdminPolicy)
            .WithName("DeleteAlertRule")
            .WithSummary("Deletes a rule and its delivery history.");
        alerts.MapGet("/{id}/events", ListDeliveriesAsync).RequireAuthorization(ApiKeyDefaults.ReadPolicy)
            .WithName("ListAlertDeliveries")
            .WithSummary("The rule's firings and resolutions as delivered to each target, newest first: status, attempts, last answer.");
        return routes;
    }

    /// <summary>What the handlers share: the rules in PostgreSQL, the grains that evaluate them, the target policy.</summary>
    public sealed record AlertServices(AlertRuleStore Rules, IGrainFactory Grains, IOptions<AlertTargetOptions> Targets, IOptions<AlertRulesOptions> Bounds, ILogger<AlertRuleStore> Logger);

    public static async Task<Results<Created<CreatedAlertRuleResponse>, ProblemHttpResult>> CreateAsync(
        HttpRequest request, [AsParameters] AlertServices services, CancellationToken cancellationToken)
    {
        var (rule, refused) = await ReadRuleAsync(request, Guid.CreateVersion7(), services.Targets.Value, cancellationToken);
        if (rule is null) return refused!;
        var tenantId = request.HttpContext.User.TenantId();
        var most = services.Bounds.Value.MaxRulesPerTenant;
        if (await services.Rules.CountAsync(tenantId, cancellationToken) >= most)
        {
            return Problems.Validation([new FieldError("rules", $"the tenant has {most} rules, the most Alerts:MaxRulesPerTenant allows: delete one first")]);
        }
        var secret = "whsec_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var stored = await services.Rules.CreateAsync(tenantId, rule, secret, cancellationToken);
        await TellGrainAsync(services, tenantId);
        return TypedResults.Created($"/v1/alerts/{rule.Id}", new CreatedAlertRuleResponse(AlertRuleResponse.Of(stored), secret));
    }

    public static async Task<Ok<AlertRuleList>> ListAsync(HttpContext http, AlertRuleStore rules, CancellationToken cancellationToken) =>
        TypedResults.Ok(new AlertRuleList([.. (await rules.ListAsync(http.User.TenantId(), cancellationToken)).Select(AlertRuleResponse.Of)]));

    public static async Task<Results<Ok<AlertRuleResponse>, ProblemHttpResult>> GetAsync(string id, HttpContext http, AlertRuleStore rules, CancellationToken cancellationToken) =>
        Guid.TryParseExact(id, "D", out var ruleId) && await rules.GetAsync(http.User.TenantId(), ruleId, cancellationToken) is { } stored
            ? TypedResults.Ok(AlertRuleResponse.Of(stored))
            : NoSuchRule();

    public static async Task<Results<Ok<AlertRuleResponse>, ProblemHttpResult>> ReplaceAsync(
        string id, HttpRequest request, [AsParameters] AlertServices services, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(id, "D", out var ruleId)) return NoSuchRule();
        var (rule, refused) = await ReadRuleAsync(request, ruleId, services.Targets.Value, cancellationToken);
        if (rule is null) return refused!;
        var tenantId = request.HttpContext.User.TenantId();
        if (await services.Rules.UpdateAsync(tenantId, rule, cancellationToken) is not { } stored) return NoSuchRule();
        await TellGrainAsync(services, tenantId);
        return TypedResults.Ok(AlertRuleResponse.Of(stored));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, HttpContext http, [AsParameters] AlertServices services, CancellationToken cancellationToken)
    {
        var tenantId = http.User.TenantId();
        if (!Guid.TryParseExact(id, "D", out var ruleId) || !await services.Rules.DeleteAsync(tenantId, ruleId, cancellationToken)) return NoSuchRule();
        await TellGrainAsync(services, tenantId);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<AlertDeliveryList>, ProblemHttpResult>> ListDeliveriesAsync(
        string id, string? limit, HttpContext http, AlertRuleStore rules, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var most = QueryText.Limit(limit, MaxDeliveries, 100, errors);
        if (errors.Count > 0) return Problems.Validation(errors);
        var tenantId = http.User.TenantId();
        if (!Guid.TryParseExact(id, "D", out var ruleId) || await rules.GetAsync(tenantId, ruleId, cancellationToken) is null) return NoSuchRule();
        var deliveries = await rules.ListDeliveriesAsync(tenantId, ruleId, most, cancellationToken);
        return TypedResults.Ok(new AlertDeliveryList([.. deliveries.Select(AlertDeliveryResponse.Of)]));
    }

    private static async Task<(AlertRule? Rule, ProblemHttpResult? Refused)> ReadRuleAsync(HttpRequest request, Guid id, AlertTargetOptions targets, CancellationToken cancellationToken)
    {
        if (RequestBody.MediaKind(request) != RequestBody.Kind.Json) return (null, Problems.UnsupportedMediaType("Send the rule as application/json."));
        var (json, refused) = await JsonBody.ReadAsync(request, MaxBodyBytes, 0, cancellationToken);
        if (json is null) return (null, refused);
        using (json)
        {
            var errors = new List<FieldError>();
            var rule = AlertRuleReader.Read(json.Root, id, targets, errors);
            return rule is null ? (null, Problems.Validation(errors)) : (rule, null);
        }
    }

    /// <summary>
    /// The tenant's alerts grain reads its rules again now. If the cluster cannot be reached the change is stored all the
    /// same, and the grain takes it at its silo's next wake (<c>Alerts:WakeInterval</c>): the answer does not depend on it.
    /// </summary>
    private static async Task TellGrainAsync(AlertServices services, string tenantId)
    {
        try
        {
            await services.Grains.GetGrain<ITenantAlertsGrain>(tenantId).RulesChangedAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The rule is committed: answering 5xx now would have a retrying client create it twice.
            LogNotTold(services.Logger, tenantId, ex);
        }
    }

    private static ProblemHttpResult NoSuchRule() => Problems.NotFound("id", "No such alert rule.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "The alerts grain of tenant {Tenant} was not told of a change of its rules; it reads them at its next wake")]
    private static partial void LogNotTold(ILogger logger, string tenant, Exception exception);
}
