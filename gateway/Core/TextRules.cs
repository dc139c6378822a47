namespace Telemetry.Gateway.Core;

/// <summary>What text the store can hold and the contract allows.</summary>
public static class TextRules
{
    /// <summary>No unpaired surrogates and no NUL (which PostgreSQL text cannot hold).</summary>
    public static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return false;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }
        return true;
    }

    public static bool HasControl(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsControl(rune)) return true;
        }
        return false;
    }

    /// <summary>Length in characters (Unicode scalar values), as PostgreSQL counts them.</summary>
    public static int Length(string text)
    {
        var n = 0;
        foreach (var _ in text.EnumerateRunes()) n++;
        return n;
    }
}
