using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Telemetry.Tests.Dashboard;

/// <summary>
/// One headless Chromium for the dashboard's tests: Debian's (/usr/bin/chromium, or TELEMETRY_CHROMIUM),
/// driven by Playwright, never a browser Playwright downloads; each test opens its own context, so no state crosses tests.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>The widths the dashboard must be usable at: a laptop and a phone.</summary>
    private static readonly (int Width, int Height)[] Viewports = [(1280, 900), (390, 844)];

    // WCAG 2.1 levels A and AA: contrast, names of controls, landmarks, what axe can judge of a page.
    private static readonly AxeRunOptions AccessibilityRules = new() { RunOnly = RunOnlyOptions.Tags("wcag2a", "wcag2aa", "wcag21a", "wcag21aa") };

    private static readonly Lock ScreenshotsGate = new();
    private static bool _screenshotsCleared;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("not started");

    /// <summary>
    /// Where screenshots go: TELEMETRY_ARTIFACTS/screenshots when set, else TestResults/screenshots beside
    /// the test binaries (tests/bin/Release/net10.0/TestResults/screenshots); emptied at each run.
    /// </summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(
        Environment.GetEnvironmentVariable("TELEMETRY_ARTIFACTS") is { Length: > 0 } artifacts ? artifacts : Path.Combine(AppContext.BaseDirectory, "TestResults"),
        "screenshots");

    public async Task InitializeAsync()
    {
        var executable = Environment.GetEnvironmentVariable("TELEMETRY_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"No Chromium at {executable}: the dashboard's tests need Debian's (apt-get install chromium; ./telemetry test does it as root, .ci/run always), or TELEMETRY_CHROMIUM pointing at one.");
        }
        // A screenshot left from an earlier run would pass for this run's; emptied once a run, since other test classes
        // (the TypeScript SDK's browser test) start a browser of their own after the dashboard's took its screenshots.
        lock (ScreenshotsGate)
        {
            if (!_screenshotsCleared && Directory.Exists(ScreenshotDirectory)) Directory.Delete(ScreenshotDirectory, recursive: true);
            _screenshotsCleared = true;
            Directory.CreateDirectory(ScreenshotDirectory);
        }
        // Expectations poll visible state; a push and the reads it triggers take well under this.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        // Playwright adds --headless and a fresh --user-data-dir of its own.
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // Root needs --no-sandbox; the network flags keep Chromium from calling home, which a closed network refuses again and again.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A fresh context (its own session storage) on a desktop-sized viewport, in US English and UTC so that numbers and times read the same everywhere.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = Viewports[0].Width, Height = Viewports[0].Height },
            Locale = "en-US",
            TimezoneId = "UTC",
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Checks the page as it is at each width (nothing wider than the screen, no WCAG 2.1 AA violation
    /// that axe finds, contrast included) and saves a full-page screenshot of it, named after the state shown.
    /// </summary>
    public static async Task CheckAndScreenshotAsync(IPage page, string name)
    {
        foreach (var (width, height) in Viewports)
        {
            await page.SetViewportSizeAsync(width, height);
            // The chart follows its box's size on the next frame.
            await page.EvaluateAsync("() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))");
            var scrollWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            Assert.True(scrollWidth <= width, $"{name} at {width} px: the page is {scrollWidth} px wide, wider than the screen");
            var result = await page.RunAxe(AccessibilityRules);
            Assert.True(result.Violations.Length == 0, $"{name} at {width} px: {Describe(result.Violations)}");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, $"{name}-{width}.png"), FullPage = true });
        }
        await page.SetViewportSizeAsync(Viewports[0].Width, Viewports[0].Height);
    }

    private static string Describe(AxeResultItem[] violations) => string.Join("; ", violations.Select(v =>
        $"{v.Id} ({v.Help}) at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}"));

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
