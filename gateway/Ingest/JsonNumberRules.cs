namespace Telemetry.Gateway.Ingest;

/// <summary>
/// Which JSON numbers a property may hold. JSON sets no bound, but PostgreSQL's jsonb refuses a number
/// past 131,072 digits before the point or 16,383 after it (1e999999 fails the whole statement), and a
/// number far inside those bounds still comes back as tens of kilobytes of digits: 1e100000 is six bytes
/// in, a hundred thousand out. So a number is taken when it is a finite double (the range every client
/// and the dashboard reads numbers in) and PostgreSQL would keep at most <see cref="MaxScale"/> digits after
/// its point, which covers every double down to the smallest subnormal (4.9e-324).
/// </summary>
public static class JsonNumberRules
{
    /// <summary>Most digits after the point that a stored number may keep.</summary>
    public const int MaxScale = 340;

    /// <summary>Whether jsonb takes the number and it stays within a double's range.</summary>
    public static bool IsStorable(JsonElement number) =>
        number.TryGetDouble(out var value) && double.IsFinite(value) && Scale(number.GetRawText()) <= MaxScale;

    /// <summary>
    /// The digits after the point that PostgreSQL keeps of a JSON number's text: its fraction's digits
    /// less its exponent, as <c>numeric</c> counts them (1.50e-3 keeps 5).
    /// </summary>
    public static long Scale(ReadOnlySpan<char> text)
    {
        var e = text.IndexOfAny('e', 'E');
        var mantissa = e < 0 ? text : text[..e];
        var point = mantissa.IndexOf('.');
        long fraction = point < 0 ? 0 : mantissa.Length - point - 1;
        return Math.Max(0, fraction - (e < 0 ? 0 : Exponent(text[(e + 1)..])));
    }

    /// <summary>The exponent's value, saturated far past any bound that matters instead of overflowing.</summary>
    private static long Exponent(ReadOnlySpan<char> text)
    {
        var negative = text.Length > 0 && text[0] == '-';
        if (text.Length > 0 && text[0] is '-' or '+') text = text[1..];
        long value = 0;
        foreach (var c in text)
        {
            value = Math.Min(value * 10 + (c - '0'), 1_000_000_000);
        }
        return negative ? -value : value;
    }
}
