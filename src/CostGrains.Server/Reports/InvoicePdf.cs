using System.Globalization;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;

namespace CostGrains.Server.Reports;

/// <summary>Renders an issued invoice as a one-or-more-page A4 PDF (PDFsharp).</summary>
public static class InvoicePdf
{
    public const string ContentType = "application/pdf";

    private static readonly Lock Gate = new();
    private static bool _fontsSet;

    public static byte[] Render(Invoice invoice, string organization)
    {
        EnsureFonts();
        using var document = new PdfDocument();
        document.Info.Title = $"Invoice {invoice.Number}";
        document.Info.Creator = "CostGrains";
        var regular = new XFont(SystemFonts.Family, 10, XFontStyleEx.Regular);
        var bold = new XFont(SystemFonts.Family, 10, XFontStyleEx.Bold);
        var title = new XFont(SystemFonts.Family, 18, XFontStyleEx.Bold);
        var culture = CultureInfo.InvariantCulture;

        PdfPage page = null!;
        XGraphics gfx = null!;
        double y = 0;
        const double left = 50, amountRight = 545, line = 16;

        void NewPage()
        {
            gfx?.Dispose();
            page = document.AddPage();
            page.Size = PdfSharp.PageSize.A4;
            gfx = XGraphics.FromPdfPage(page);
            y = 60;
        }

        void Text(string text, XFont font, double x) => gfx.DrawString(text, font, XBrushes.Black, new XPoint(x, y));
        void Right(string text, XFont font) => gfx.DrawString(text, font, XBrushes.Black, new XRect(left, y - 10, amountRight - left, 14), XStringFormats.TopRight);

        NewPage();
        Text($"Invoice {invoice.Number}", title, left);
        y += 30;
        Text($"Organization: {organization}", regular, left); y += line;
        Text($"Billing account: {invoice.AccountName} ({invoice.Account})", regular, left); y += line;
        Text($"Period: {invoice.Period} ({invoice.From:yyyy-MM-dd} to {invoice.To:yyyy-MM-dd}, {invoice.TimeZone})", regular, left); y += line;
        Text($"Issued: {invoice.IssuedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", culture)}", regular, left); y += line * 2;

        Text("Project", bold, left);
        Text("Category", bold, 330);
        Right($"Amount ({invoice.Currency})", bold);
        y += 6;
        gfx.DrawLine(XPens.Black, left, y, amountRight, y);
        y += line;
        foreach (var item in invoice.Lines)
        {
            if (y > page.Height.Point - 80)
            {
                NewPage();
            }

            Text(Fit($"{item.ProjectName} ({item.Project})", 48), regular, left);
            Text(item.Category, regular, 330);
            Right(item.Amount.ToString("#,##0.00", culture), regular);
            y += line;
        }

        gfx.DrawLine(XPens.Black, left, y - 10, amountRight, y - 10);
        y += 4;
        Text("Total", bold, left);
        Right($"{invoice.Total.ToString("#,##0.00", culture)} {invoice.Currency}", bold);
        gfx.Dispose();

        using var stream = new MemoryStream();
        document.Save(stream, closeStream: false);
        return stream.ToArray();
    }

    private static string Fit(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static void EnsureFonts()
    {
        lock (Gate)
        {
            if (!_fontsSet)
            {
                GlobalFontSettings.FontResolver ??= new SystemFonts();
                _fontsSet = true;
            }
        }
    }

    /// <summary>Finds a sans-serif TrueType font installed on the machine (fonts-dejavu-core or fonts-liberation).</summary>
    private sealed class SystemFonts : IFontResolver
    {
        public const string Family = "CostGrains Sans";

        private static readonly (string Regular, string Bold)[] Candidates =
        [
            ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
            ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
            ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
            (@"C:\Windows\Fonts\arial.ttf", @"C:\Windows\Fonts\arialbd.ttf"),
        ];

        private static readonly Lazy<(string Regular, string Bold)> Files = new(() =>
            Candidates.FirstOrDefault(c => File.Exists(c.Regular) && File.Exists(c.Bold)) is { Regular: not null } found
                ? found
                : throw new InvalidOperationException("No TrueType font found for invoice PDFs: install fonts-dejavu-core."));

        public FontResolverInfo ResolveTypeface(string familyName, bool bold, bool italic) => new(bold ? "bold" : "regular");

        public byte[] GetFont(string faceName) => File.ReadAllBytes(faceName == "bold" ? Files.Value.Bold : Files.Value.Regular);
    }
}
