using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using CsvHelper;
using Microsoft.Playwright;
using Parquet;
using static Microsoft.Playwright.Assertions;

namespace Telemetry.Tests.Dashboard;

/// <summary>The dashboard at <c>/dashboard</c> in headless Chromium, against the shared cluster's gateway.</summary>
public sealed class DashboardTests(ClusterFixture fixture, BrowserFixture browser) : SharedClusterTest(fixture), IClassFixture<BrowserFixture>
{
    // As the page's JSON.stringify(value, null, 2) writes it.
    private static readonly JsonSerializerOptions IndentedByTwo = new() { WriteIndented = true, NewLine = "\n" };

    private Uri Gateway => Cluster.Gateways[0].BaseAddress;

    [Fact]
    public async Task Tiles_chart_and_categories_show_what_the_API_gives_and_follow_new_events_without_a_reload()
    {
        var (tenant, key, api) = await NewTenantAsync("dash");
        await PostAsync(api,
            Event("lesson_started", "success", 100), Event("lesson_started", "success", 200), Event("lesson_started", "failure", 300),
            Event("quiz_submitted", "success", 400), Event("login", null, null));
        var page = await SignedInAsync(await ReadKeyAsync(tenant));

        await ExpectTilesAsync(page, "overview", await MetricsAsync(api, "v1/metrics/overview?window=24h", 5));
        await ExpectCategoriesAsync(page, await CategoriesAsync(api, "24h"));
        var summary = page.GetByTestId("chart-summary");
        await Expect(summary).ToHaveAttributeAsync("data-events", "5");
        await Expect(summary).ToHaveAttributeAsync("data-failures", "1");
        await Expect(summary).ToContainTextAsync("5 events and 1 failure in the last 24 hours");
        await BrowserFixture.CheckAndScreenshotAsync(page, "overview");

        // Pushed over /v1/stream: the same document (a marker set now survives), new numbers, the chart drawn again.
        await page.EvaluateAsync("() => { window.notReloaded = true; }");
        var chartBefore = await page.Locator("#chart canvas").EvaluateAsync<string>("canvas => canvas.toDataURL()");
        await PostAsync(api, Event("quiz_submitted", "failure", 1500), Event("quiz_submitted", "failure", 2500), Event("hint_shown", "success", 5));
        await Expect(TileValue(page, "overview-total")).ToHaveTextAsync("8");
        await Expect(summary).ToHaveAttributeAsync("data-events", "8");
        await Expect(summary).ToHaveAttributeAsync("data-failures", "3");
        await page.WaitForFunctionAsync("before => document.querySelector('#chart canvas').toDataURL() !== before", chartBefore);
        await ExpectTilesAsync(page, "overview", await MetricsAsync(api, "v1/metrics/overview?window=24h", 8));
        await ExpectCategoriesAsync(page, await CategoriesAsync(api, "24h"));
        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"));

        // Another window is read from the API; the stream still triggers it.
        await page.GetByRole(AriaRole.Radio, new() { Name = "1h" }).CheckAsync();
        await Expect(page).ToHaveURLAsync(new Regex("#/overview\\?window=1h$"));
        await ExpectTilesAsync(page, "overview", await MetricsAsync(api, "v1/metrics/overview?window=1h", 8));
        await PostAsync(api, Event("login", "success", 50));
        await Expect(TileValue(page, "overview-total")).ToHaveTextAsync("9");
        await ExpectTilesAsync(page, "overview", await MetricsAsync(api, "v1/metrics/overview?window=1h", 9));
        await Expect(summary).ToHaveAttributeAsync("data-events", "9");
        await ExpectCategoriesAsync(page, await CategoriesAsync(api, "1h"));

        // Sorting: by category name, A to Z, and the sort holds through a live update.
        var table = page.GetByTestId("categories");
        await table.GetByRole(AriaRole.Button, new() { Name = "Category" }).ClickAsync();
        await Expect(table.Locator("th[aria-sort]")).ToHaveAttributeAsync("aria-sort", "ascending");
        await Expect(table.Locator("tbody th")).ToHaveTextAsync(["hint_shown", "lesson_started", "login", "quiz_submitted"]);
        await PostAsync(api, Event("assignment_opened", "success", 10));
        await Expect(table.Locator("tbody th")).ToHaveTextAsync(["assignment_opened", "hint_shown", "lesson_started", "login", "quiz_submitted"]);

        // Loading: the 7d window's answers are held back until the page has shown that it waits for them.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new Regex("/v1/metrics/.*window=7d");
        await page.RouteAsync(held, async route =>
        {
            await release.Task;
            await route.ContinueAsync();
        });
        await page.GetByRole(AriaRole.Radio, new() { Name = "7d" }).CheckAsync();
        await Expect(page.Locator("#overview-tiles")).ToHaveAttributeAsync("aria-busy", "true");
        await Expect(TileValue(page, "overview-total")).ToHaveTextAsync("…");
        await Expect(summary).ToHaveTextAsync("Loading…");
        await Expect(page.Locator("#chart")).ToHaveAttributeAsync("aria-busy", "true");
        await Expect(table.Locator("tbody")).ToHaveTextAsync("Loading…");
        await BrowserFixture.CheckAndScreenshotAsync(page, "loading");
        release.SetResult();
        await ExpectTilesAsync(page, "overview", await MetricsAsync(api, "v1/metrics/overview?window=7d", 10));
        await Expect(page.Locator("#overview-tiles")).ToHaveAttributeAsync("aria-busy", "false");
        await Expect(summary).ToHaveAttributeAsync("data-events", "10");
        await Expect(page.Locator("#chart")).ToHaveAttributeAsync("aria-busy", "false");
        await page.UnrouteAsync(held);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_explorer_filters_pages_opens_a_detail_and_downloads_the_filtered_csv_and_parquet()
    {
        var (tenant, key, api) = await NewTenantAsync("dash");
        var now = DateTimeOffset.UtcNow;
        var start = now.AddMinutes(-30).AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond));
        var paged = Enumerable.Range(0, 23).Select(i => new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["type"] = "page_me",
            ["status"] = i % 4 == 0 ? "failure" : "success",
            ["user_id"] = i % 2 == 0 ? "learner-even" : "learner-odd",
            ["session_id"] = $"session-{i}",
            ["environment"] = "production",
            ["timestamp"] = start.AddSeconds(i).ToString("O", CultureInfo.InvariantCulture),
            ["duration_ms"] = 10 * i,
            ["properties"] = new JsonObject { ["n"] = i, ["lesson"] = new JsonObject { ["unit"] = "fractions", ["tags"] = new JsonArray("a", "b") } },
        }).ToArray();
        await PostAsync(api, paged);
        await PostAsync(api, Event("other", "success", 1), Event("other", "failure", 2));
        var page = await SignedInAsync(await ReadKeyAsync(tenant));

        await page.GetByRole(AriaRole.Link, new() { Name = "Events" }).ClickAsync();
        var rows = page.GetByTestId("events").Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(25);
        await Expect(page.GetByTestId("page-label")).ToHaveTextAsync("Page 1 · events 1–25");

        var form = page.GetByRole(AriaRole.Form, new() { Name = "Filters" });
        await form.GetByLabel("Type", new() { Exact = true }).FillAsync("page_me");
        await form.GetByLabel("Page size", new() { Exact = true }).SelectOptionAsync("10");
        await form.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        var expected = await WalkAsync(api, "type=page_me");
        Assert.Equal(23, expected.Count);
        var next = page.GetByRole(AriaRole.Button, new() { Name = "Next" });
        var previous = page.GetByRole(AriaRole.Button, new() { Name = "Previous" });
        for (var p = 0; p < 3; p++)
        {
            var want = expected.Skip(p * 10).Take(10).ToArray();
            await Expect(page.GetByTestId("page-label")).ToHaveTextAsync($"Page {p + 1} · events {p * 10 + 1}–{p * 10 + want.Length}");
            await ExpectAttributesAsync(rows, "data-event-id", want);
            if (p < 2) await next.ClickAsync();
        }
        await Expect(next).ToBeDisabledAsync();
        await previous.ClickAsync();
        await ExpectAttributesAsync(rows, "data-event-id", expected.Skip(10).Take(10).ToArray());
        await BrowserFixture.CheckAndScreenshotAsync(page, "explorer");

        // More filters: the failures of one user in one environment, in a time range that leaves out the first ten seconds.
        var from = start.AddSeconds(10).UtcDateTime;
        await form.GetByLabel("Status", new() { Exact = true }).SelectOptionAsync("failure");
        await form.GetByLabel("User", new() { Exact = true }).FillAsync("learner-even");
        await form.GetByLabel("Environment", new() { Exact = true }).FillAsync("production");
        // As the browser writes it: without seconds when they are zero.
        await form.GetByLabel("From", new() { Exact = true }).FillAsync(from.ToString(from.Second == 0 ? "yyyy-MM-dd'T'HH:mm" : "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
        await form.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        string[] narrowed = [Id(paged[20]), Id(paged[16]), Id(paged[12])];
        Assert.Equal(narrowed, await WalkAsync(api, $"type=page_me&status=failure&user_id=learner-even&environment=production&from={from:yyyy-MM-dd'T'HH:mm:ss'Z'}"));
        await ExpectAttributesAsync(rows, "data-event-id", narrowed);
        await Expect(next).ToBeDisabledAsync();

        // The detail: every field, the properties as the API gives them, indented by two, and Escape closes it.
        await rows.First.GetByRole(AriaRole.Button).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.GetByRole(AriaRole.Heading, new() { Name = "Event page_me" })).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync(narrowed[0]);
        await Expect(dialog).ToContainTextAsync("session-20");
        await Expect(dialog).ToContainTextAsync("learner-even");
        await Expect(dialog).ToContainTextAsync("200 ms");
        using (var stored = JsonDocument.Parse(await api.GetStringAsync(new Uri($"v1/events/{narrowed[0]}", UriKind.Relative))))
        {
            var properties = stored.RootElement.GetProperty("properties");
            Assert.Equal(20, properties.GetProperty("n").GetInt32());
            await Expect(dialog.GetByTestId("event-properties")).ToHaveTextAsync(
                JsonSerializer.Serialize(properties, IndentedByTwo));
        }
        await BrowserFixture.CheckAndScreenshotAsync(page, "event-detail");
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();

        // The CSV export of the current filter, fetched with the key header and saved from a blob.
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export CSV" }).ClickAsync());
        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
        var path = await download.PathAsync();
        using (var reader = CsvReader.Create(File.OpenRead(path), CsvReaderOptions.Default with { HasHeader = false }, leaveOpen: false))
        {
            Assert.True(reader.Read());
            Assert.Equal("id", reader.GetString(0));
            var ids = new List<string>();
            while (reader.Read())
            {
                Assert.Equal("page_me", reader.GetString(1));
                Assert.Equal("failure", reader.GetString(2));
                Assert.Equal("learner-even", reader.GetString(3));
                ids.Add(reader.GetString(0));
            }
            Assert.Equal(narrowed, ids);
        }

        // And the Parquet export of the same filter holds the same rows.
        download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export Parquet" }).ClickAsync());
        Assert.EndsWith(".parquet", download.SuggestedFilename, StringComparison.Ordinal);
        await using (var parquet = await ParquetReader.CreateAsync(File.OpenRead(await download.PathAsync())))
        {
            var ids = new List<string?>();
            for (var g = 0; g < parquet.RowGroupCount; g++)
            {
                using var group = parquet.OpenRowGroupReader(g);
                var column = new string?[group.RowCount];
                await group.ReadAsync(parquet.Schema.DataFields[0], column.AsMemory());
                ids.AddRange(column);
            }
            Assert.Equal(narrowed, ids);
        }

        // A session names one event.
        await form.GetByLabel("Session", new() { Exact = true }).FillAsync("session-16");
        await form.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await ExpectAttributesAsync(rows, "data-event-id", [Id(paged[16])]);

        // Clear brings every event back, 25 a page.
        await form.GetByRole(AriaRole.Button, new() { Name = "Clear" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("#/events$"));
        await Expect(rows).ToHaveCountAsync(25);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_user_view_shows_one_users_metrics_and_recent_events()
    {
        var (tenant, key, api) = await NewTenantAsync("dash");
        await PostAsync(api,
            Event("tutor_query", "success", 800, "student@ucsd.edu"), Event("tutor_query", "failure", 1200, "student@ucsd.edu"),
            Event("hint_shown", "success", 40, "student@ucsd.edu"), Event("tutor_query", "success", 10, "someone-else"));
        var page = await SignedInAsync(await ReadKeyAsync(tenant));

        await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await page.GetByLabel("User id", new() { Exact = true }).FillAsync("student@ucsd.edu");
        await page.GetByLabel("User id", new() { Exact = true }).PressAsync("Enter");
        await Expect(page.Locator("#user-title")).ToHaveTextAsync("student@ucsd.edu");
        await ExpectTilesAsync(page, "user", await MetricsAsync(api, $"v1/users/{Uri.EscapeDataString("student@ucsd.edu")}/metrics?window=24h", 3));
        await Expect(page.GetByTestId("user-categories").Locator("tbody th")).ToHaveTextAsync(["tutor_query", "hint_shown"]);
        await Expect(page.GetByTestId("user-events").Locator("tbody tr")).ToHaveCountAsync(3);
        await BrowserFixture.CheckAndScreenshotAsync(page, "user");

        await PostAsync(api, Event("hint_shown", "success", 60, "student@ucsd.edu"));
        await Expect(TileValue(page, "user-total")).ToHaveTextAsync("4");
        await Expect(page.GetByTestId("user-events").Locator("tbody tr")).ToHaveCountAsync(4);

        await page.GetByLabel("User id", new() { Exact = true }).FillAsync("nobody");
        await page.GetByLabel("User id", new() { Exact = true }).PressAsync("Enter");
        await Expect(page.Locator("#user-message")).ToHaveTextAsync("This tenant has no events from the user “nobody”.");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_alerts_view_lists_rules_with_their_state_and_recent_firings_and_follows_a_rule_that_fires()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (tenant, _, api) = await NewTenantAsync("dash");
        using (var quiet = await api.PostAsJsonAsync("v1/alerts", new JsonObject
        {
            ["name"] = "slow lessons", ["metric"] = "avg_duration_ms", ["category"] = "lesson_started", ["window"] = "1h", ["comparison"] = ">",
            ["threshold"] = 5000, ["targets"] = new JsonArray(receiver.Address.ToString()),
        }))
        {
            Assert.Equal(HttpStatusCode.Created, quiet.StatusCode);
        }
        using (var errors = await api.PostAsJsonAsync("v1/alerts", new JsonObject
        {
            ["name"] = "quiz failures", ["metric"] = "failure_count", ["category"] = "quiz_submitted", ["comparison"] = ">=", ["threshold"] = 2,
            ["severity"] = "critical", ["targets"] = new JsonArray(receiver.Address.ToString()),
        }))
        {
            Assert.Equal(HttpStatusCode.Created, errors.StatusCode);
        }
        var page = await SignedInAsync(await ReadKeyAsync(tenant));
        await page.GetByRole(AriaRole.Link, new() { Name = "Alerts" }).ClickAsync();
        var rules = page.GetByTestId("alert-rules").Locator("tbody tr");
        await Expect(rules).ToHaveCountAsync(2);
        await Expect(rules.Nth(0)).ToContainTextAsync("avg_duration_ms of lesson_started over 1h > 5000");
        await Expect(rules.Nth(1)).ToHaveAttributeAsync("data-state", "ok");

        // Two failed quizzes fire the second rule; the page follows through the live stream, without a reload.
        await PostAsync(api, Event("quiz_submitted", "failure", 100), Event("quiz_submitted", "failure", 100));
        await Expect(rules.Nth(1)).ToHaveAttributeAsync("data-state", "firing");
        var recent = page.GetByTestId("alert-deliveries").Locator("tbody tr");
        await Expect(recent).ToHaveCountAsync(1);
        await Expect(recent.First).ToContainTextAsync("quiz failures");
        await Expect(recent.First).ToContainTextAsync("delivered (1 attempt)");
        await BrowserFixture.CheckAndScreenshotAsync(page, "alerts");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_usage_view_shows_what_the_tenant_sent_per_surface_and_reason_with_a_chart()
    {
        var (tenant, key, api) = await NewTenantAsync("dash");
        await PostAsync(api, Event("lesson_started", "success", 100), Event("lesson_started", "success", 200), Event("quiz_submitted", "failure", 300));
        using (var rejected = await api.PostAsync(new Uri("v1/events/batch", UriKind.Relative),
            Telemetry.Tests.Gateway.IngestValidationTests.Json("""{"events": [{"type": "ok"}, {"status": "success"}, {"type": "x", "status": "maybe"}]}""")))
        {
            Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        }
        var page = await SignedInAsync(await ReadKeyAsync(tenant));
        await page.GetByRole(AriaRole.Link, new() { Name = "Usage" }).ClickAsync();
        await Expect(page.GetByTestId("usage-accepted").Locator(".tile-value")).ToHaveTextAsync("4");
        await Expect(page.GetByTestId("usage-rejected").Locator(".tile-value")).ToHaveTextAsync("2");
        await Expect(page.GetByTestId("usage-chart-summary")).ToContainTextAsync("4 accepted, 2 rejected and 0 rate-limited events in the last 24 hours");
        await Expect(page.Locator("#usage-chart canvas")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("usage-surfaces").Locator("tbody th")).ToHaveTextAsync(["native"]);
        await Expect(page.GetByTestId("usage-reasons").Locator("tbody th")).ToHaveTextAsync(["status", "type"]);
        await BrowserFixture.CheckAndScreenshotAsync(page, "usage");

        // A month by day: the same totals, from the same API.
        await page.GetByRole(AriaRole.Radio, new() { Name = "Last 30 days, by day" }).CheckAsync();
        await Expect(page).ToHaveURLAsync(new Regex("#/usage\\?span=30d$"));
        await Expect(page.GetByTestId("usage-chart-summary")).ToContainTextAsync("in the last 30 days");
        await Expect(page.GetByTestId("usage-accepted").Locator(".tile-value")).ToHaveTextAsync("4");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Signing_in_keeps_the_key_in_session_storage_and_headers_only_and_refusals_say_why()
    {
        var (tenant, _) = await Cluster.CreateTenantAsync("dash");
        var readKey = await ReadKeyAsync(tenant);
        var page = await browser.NewPageAsync();
        var requests = new ConcurrentQueue<Microsoft.Playwright.IRequest>();
        page.Context.Request += (_, request) => requests.Enqueue(request);
        await page.GotoAsync(new Uri(Gateway, "dashboard").ToString());

        // An unknown key, typed and sent from the keyboard alone (the field has the focus): 401, said on the page, nothing kept.
        await Expect(KeyField(page)).ToBeFocusedAsync();
        await page.Keyboard.InsertTextAsync("tlm_00000000000000000000000000000000_notakeynotakeynotakeynotakeynotakeynotakey1");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("sign-in-error")).ToContainTextAsync("401");
        Assert.Null(await StoredKeyAsync(page));
        await BrowserFixture.CheckAndScreenshotAsync(page, "refused-key");

        // A key without the read scope is refused with its own reason.
        var ingestOnly = await Cluster.Keys.CreateKeyAsync(tenant, "browser app", KeyScopes.Ingest);
        await KeyField(page).FillAsync(ingestOnly.Key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("sign-in-error")).ToContainTextAsync("403");

        // A read key of a tenant without events: signed in, the empty state, zeros and dashes.
        await KeyField(page).FillAsync(readKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("empty-tenant")).ToBeVisibleAsync();
        await Expect(TileValue(page, "overview-total")).ToHaveTextAsync("0");
        await Expect(TileValue(page, "overview-success-rate")).ToHaveTextAsync("—");
        await Expect(page.Locator("#live-text")).ToHaveTextAsync("Live");
        await BrowserFixture.CheckAndScreenshotAsync(page, "empty-tenant");

        // Kept in this tab's session storage only: a reload stays signed in; nothing in local storage or cookies.
        Assert.Equal(readKey, await StoredKeyAsync(page));
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length"));
        Assert.Empty(await page.Context.CookiesAsync());
        await page.ReloadAsync();
        await Expect(page.Locator("#live-text")).ToHaveTextAsync("Live");
        await Expect(KeyField(page)).ToBeHiddenAsync();

        // The first event takes the empty state away, live.
        using var api = Cluster.Gateways[0].CreateClient(ingestOnly.Key);
        await PostAsync(api, Event("hello", "success", 1));
        await Expect(page.GetByTestId("empty-tenant")).ToBeHiddenAsync();
        await Expect(TileValue(page, "overview-total")).ToHaveTextAsync("1");

        // Sign out forgets the key; signing in again on the same page builds the views once more, not twice.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(KeyField(page)).ToBeVisibleAsync();
        Assert.Null(await StoredKeyAsync(page));
        await KeyField(page).FillAsync(readKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(TileValue(page, "overview-total")).ToHaveTextAsync("1");
        await Expect(page.GetByRole(AriaRole.Radio)).ToHaveCountAsync(5);
        await page.GetByRole(AriaRole.Link, new() { Name = "Events" }).ClickAsync();
        await Expect(page.GetByTestId("events").Locator("thead tr")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("events").Locator("tbody tr")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(KeyField(page)).ToBeVisibleAsync();

        // No address the page asked for held a key; every API request carried the one in use as a header.
        Assert.All(requests, request =>
        {
            Assert.DoesNotContain(readKey, request.Url, StringComparison.Ordinal);
            Assert.DoesNotContain(ingestOnly.Key, request.Url, StringComparison.Ordinal);
        });
        var apiRequests = requests.Where(r => new Uri(r.Url).AbsolutePath.StartsWith("/v1/", StringComparison.Ordinal)).ToList();
        Assert.Contains(apiRequests, r => r.Url.Contains("/v1/stream", StringComparison.Ordinal));
        Assert.All(apiRequests, request => Assert.StartsWith("Bearer tlm_", request.Headers["authorization"], StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_lost_connection_shows_and_the_page_reconnects_by_itself()
    {
        var (tenant, key, api) = await NewTenantAsync("dash");
        await PostAsync(api, Event("before", "success", 1));
        await using var relay = CuttableRelay.Start(Gateway);
        var page = await SignedInAsync(await ReadKeyAsync(tenant), relay.BaseAddress);
        await Expect(TileValue(page, "overview-total")).ToHaveTextAsync("1");

        // The network goes: the open stream is reset and so is every new connection.
        relay.Cut();
        var lost = page.GetByTestId("connection-lost");
        await Expect(lost).ToBeVisibleAsync();
        await Expect(lost).ToContainTextAsync("Reconnecting automatically");
        await Expect(page.Locator("#live-text")).ToHaveTextAsync(new Regex("^(Reconnecting|Connecting)…$"));
        await BrowserFixture.CheckAndScreenshotAsync(page, "connection-lost");
        await PostAsync(api, Event("meanwhile", "success", 1));

        // It comes back: the page reconnects on its own, with no click and no reload, and catches up.
        relay.Restore();
        await Expect(page.Locator("#live-text")).ToHaveTextAsync("Live");
        await Expect(lost).ToBeHiddenAsync();
        await Expect(TileValue(page, "overview-total")).ToHaveTextAsync("2");
        await PostAsync(api, Event("after", "success", 1));
        await Expect(TileValue(page, "overview-total")).ToHaveTextAsync("3");
        await Expect(page.Locator("#app-error")).ToBeHiddenAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Every_control_is_reached_with_the_tab_key_and_works_from_the_keyboard()
    {
        var (tenant, key, api) = await NewTenantAsync("dash");
        await PostAsync(api, Event("tutor_query", "success", 120, "student@ucsd.edu"), Event("tutor_query", "failure", 80, "student@ucsd.edu"), Event("hint_shown", "success", 5));
        var page = await SignedInAsync(await ReadKeyAsync(tenant));
        await Expect(page.GetByTestId("categories").Locator("tbody tr")).ToHaveCountAsync(2);
        await ExpectEveryControlReachedByTabAsync(page, "overview");

        // A live update redraws the categories; the link that had the focus keeps it.
        var link = page.GetByTestId("categories").GetByRole(AriaRole.Link, new() { Name = "hint_shown" });
        await link.FocusAsync();
        await PostAsync(api, Event("hint_shown", "success", 7));
        await Expect(page.GetByTestId("categories").Locator("tr[data-category='hint_shown'] td").First).ToHaveTextAsync("2");
        await Expect(link).ToBeFocusedAsync();

        // The windows are one radio group: arrow keys move between them.
        await page.GetByRole(AriaRole.Radio, new() { Name = "24h" }).FocusAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page).ToHaveURLAsync(new Regex("#/overview\\?window=7d$"));

        await page.GetByRole(AriaRole.Link, new() { Name = "Events" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var rows = page.GetByTestId("events").Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(4);
        await ExpectEveryControlReachedByTabAsync(page, "explorer");

        // A row's detail opens with Enter, takes the focus into the dialog, keeps it there, and gives it back on Escape.
        var opener = rows.First.GetByRole(AriaRole.Button);
        await opener.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Close" })).ToBeFocusedAsync();
        await ExpectEveryControlReachedByTabAsync(page, "event detail");
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(opener).ToBeFocusedAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        // The view empties its field when it opens (on the hash change, a moment after the key): type after that.
        await Expect(page.Locator("#user-message")).ToHaveTextAsync("Enter a user id to see their metrics and recent events.");
        await page.GetByLabel("User id", new() { Exact = true }).FocusAsync();
        await page.Keyboard.InsertTextAsync("student@ucsd.edu");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#user-title")).ToHaveTextAsync("student@ucsd.edu");
        await ExpectEveryControlReachedByTabAsync(page, "user");
        await page.Context.CloseAsync();
    }


    [Fact]
    public async Task The_gateway_serves_the_page_with_revalidation_hashed_assets_for_good_and_a_strict_policy()
    {
        using var client = Cluster.Gateways[0].CreateClient();
        using var redirect = await client.GetAsync(new Uri("dashboard", UriKind.Relative));
        Assert.Equal("/dashboard/", redirect.RequestMessage?.RequestUri?.AbsolutePath);

        using var index = await client.GetAsync(new Uri("dashboard/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        Assert.True(index.Headers.CacheControl?.NoCache);
        Assert.Contains("script-src 'self'", index.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var html = await index.Content.ReadAsStringAsync();
        var script = Regex.Match(html, "src=\"\\./(app-[A-Z0-9]+\\.js)\"").Groups[1].Value;
        Assert.NotEmpty(script);

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"dashboard/{script}", UriKind.Relative));
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var asset = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Equal("gzip", asset.Content.Headers.ContentEncoding.Single());
        Assert.Equal(TimeSpan.FromDays(365), asset.Headers.CacheControl?.MaxAge);

        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri($"dashboard/{script}", UriKind.Relative));
        again.Headers.IfNoneMatch.Add(asset.Headers.ETag!);
        again.Headers.AcceptEncoding.ParseAdd("gzip");
        using var notModified = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        using var missing = await client.GetAsync(new Uri("dashboard/app.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private async Task<IPage> SignedInAsync(string readKey, Uri? via = null)
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(via ?? Gateway, "dashboard/").ToString());
        await KeyField(page).FillAsync(readKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#live-text")).ToHaveTextAsync("Live");
        return page;
    }

    private static ILocator KeyField(IPage page) => page.GetByRole(AriaRole.Textbox, new() { Name = "Read key" });

    private static ILocator TileValue(IPage page, string tile) => page.GetByTestId(tile).Locator(".tile-value");

    private static Task<string?> StoredKeyAsync(IPage page) => page.EvaluateAsync<string?>("() => sessionStorage.getItem('telemetry.readKey')");

    private async Task<string> ReadKeyAsync(string tenant) => (await Cluster.Keys.CreateKeyAsync(tenant, "dashboard", KeyScopes.Read)).Key;

    /// <summary>
    /// Presses Tab until every visible control of the page (of the open dialog, when one is open, which
    /// the focus must not leave) has had the focus, each with a visible focus ring; a group of radio
    /// buttons is one stop, as the keyboard makes it. Controls are named by what they show and the row
    /// they are in, so that a live update redrawing a table under the test changes nothing.
    /// </summary>
    private static async Task ExpectEveryControlReachedByTabAsync(IPage page, string view)
    {
        const string Name = """
            e => e.type === 'radio' ? `radio group ${e.name}`
              : `${e.tagName.toLowerCase()} "${(e.textContent || e.name || e.id).trim()}" in ${e.closest('tr')?.dataset.eventId ?? e.closest('tr')?.dataset.category ?? 'the page'}`
            """;
        var stops = await page.EvaluateAsync<string[]>($$"""
            () => {
              const root = document.querySelector('dialog[open]') ?? document.body;
              const controls = [...root.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
                .filter(e => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden');
              return [...new Set(controls.map({{Name}}))];
            }
            """);
        var reached = new HashSet<string>();
        for (var press = 0; press < 2 * stops.Length + 10 && !stops.All(reached.Contains); press++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<JsonElement>($$"""
                () => {
                  const e = document.activeElement;
                  if (!e || e === document.body) return { stop: null };
                  // A radio's ring is drawn on the label text beside it: the input itself is transparent.
                  const ring = getComputedStyle(e.type === 'radio' ? e.nextElementSibling : e);
                  return {
                    stop: ({{Name}})(e),
                    ring: ring.outlineStyle !== 'none' && ring.outlineWidth !== '0px',
                    inside: (document.querySelector('dialog[open]') ?? document.body).contains(e),
                  };
                }
                """);
            if (focused.GetProperty("stop").GetString() is not { } stop) continue;
            Assert.True(focused.GetProperty("inside").GetBoolean(), $"{view}: the focus left the open dialog for {stop}");
            Assert.True(focused.GetProperty("ring").GetBoolean(), $"{view}: {stop} has the focus but no visible focus ring");
            reached.Add(stop);
        }
        Assert.True(stops.All(reached.Contains), $"{view}: never reached with Tab: {string.Join(", ", stops.Where(s => !reached.Contains(s)))}");
    }

    private static JsonObject Event(string type, string? status, double? durationMs, string? user = null)
    {
        var e = new JsonObject { ["type"] = type };
        if (status is not null) e["status"] = status;
        if (durationMs is not null) e["duration_ms"] = durationMs;
        if (user is not null) e["user_id"] = user;
        return e;
    }

    private static string Id(JsonObject e) => e["id"]!.GetValue<string>();

    /// <summary>Waits until the elements of <paramref name="locator"/> carry exactly these values of an attribute, in order.</summary>
    private static async Task ExpectAttributesAsync(ILocator locator, string attribute, string[] expected)
    {
        string?[] seen = [];
        await Eventually.HoldsAsync(async () =>
        {
            seen = await locator.EvaluateAllAsync<string?[]>("(elements, name) => elements.map(e => e.getAttribute(name))", attribute);
            return seen.SequenceEqual(expected) ? null : $"{attribute}: [{string.Join(", ", seen)}], not [{string.Join(", ", expected)}]";
        });
    }

    private static async Task PostAsync(HttpClient api, params JsonObject[] events)
    {
        using var response = await api.PostAsJsonAsync(new Uri("v1/events/batch", UriKind.Relative), new JsonObject { ["events"] = new JsonArray(events.Select(e => (JsonNode)e.DeepClone()).ToArray()) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(events.Length, body.RootElement.GetProperty("accepted").GetInt32());
    }

    /// <summary>The metrics document once it counts <paramref name="total"/> events (metrics follow ingest within milliseconds).</summary>
    private static async Task<JsonElement> MetricsAsync(HttpClient api, string path, long total)
    {
        JsonElement result = default;
        await Eventually.HoldsAsync(async () =>
        {
            result = JsonDocument.Parse(await api.GetStringAsync(new Uri(path, UriKind.Relative))).RootElement;
            var counted = result.GetProperty("total").GetInt64();
            return counted == total ? null : $"{path}: {counted} events, not {total}";
        });
        return result;
    }

    private static async Task<JsonElement> CategoriesAsync(HttpClient api, string window) =>
        JsonDocument.Parse(await api.GetStringAsync(new Uri($"v1/metrics/categories?window={window}", UriKind.Relative))).RootElement.GetProperty("data");

    /// <summary>Every id a filter selects, in the API's order, walked with its cursor.</summary>
    private static async Task<List<string>> WalkAsync(HttpClient api, string query)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var path = $"v1/events?{query}&limit=7" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            using var page = JsonDocument.Parse(await api.GetStringAsync(new Uri(path, UriKind.Relative)));
            ids.AddRange(page.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()!));
            cursor = page.RootElement.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);
        return ids;
    }

    private static async Task ExpectTilesAsync(IPage page, string prefix, JsonElement totals)
    {
        await Expect(page.GetByTestId($"{prefix}-total").Locator(".tile-value")).ToHaveTextAsync(Count(totals.GetProperty("total").GetInt64()));
        await Expect(page.GetByTestId($"{prefix}-failures").Locator(".tile-value")).ToHaveTextAsync(Count(totals.GetProperty("failure").GetInt64()));
        await Expect(page.GetByTestId($"{prefix}-success-rate").Locator(".tile-value")).ToHaveTextAsync(Rate(totals.GetProperty("success_rate")));
        await Expect(page.GetByTestId($"{prefix}-avg-duration").Locator(".tile-value")).ToHaveTextAsync(Duration(totals.GetProperty("avg_duration_ms")));
    }

    private static async Task ExpectCategoriesAsync(IPage page, JsonElement categories)
    {
        await Expect(page.GetByTestId("categories").Locator("tbody th")).ToHaveTextAsync(categories.EnumerateArray().Select(c => c.GetProperty("type").GetString()!).ToArray());
        foreach (var category in categories.EnumerateArray())
        {
            var row = page.GetByTestId("categories").Locator($"tbody tr[data-category='{category.GetProperty("type").GetString()}']");
            await Expect(row.Locator("td")).ToHaveTextAsync([
                Count(category.GetProperty("count").GetInt64()),
                Rate(category.GetProperty("success_rate")),
                Count(category.GetProperty("failure").GetInt64()),
                Duration(category.GetProperty("avg_duration_ms")),
            ]);
        }
    }

    // The page's formats in en-US (the test browser's locale): grouped integers, percent with one decimal,
    // milliseconds (one decimal under 10) up to a second, then seconds with two decimals, and a dash for none.
    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Rate(JsonElement rate) =>
        rate.ValueKind == JsonValueKind.Null ? "—" : (rate.GetDouble() * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Duration(JsonElement ms)
    {
        if (ms.ValueKind == JsonValueKind.Null) return "—";
        var value = ms.GetDouble();
        return value switch
        {
            < 10 => value.ToString("0.0", CultureInfo.InvariantCulture) + " ms",
            < 1000 => value.ToString("N0", CultureInfo.InvariantCulture) + " ms",
            _ => (value / 1000).ToString("N2", CultureInfo.InvariantCulture) + " s",
        };
    }
}
