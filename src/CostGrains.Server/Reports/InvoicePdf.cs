using System.Globalization;
using System.Text;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace CostGrains.Server.Reports;

/// <summary>
/// Renders an issued invoice as an A4 PDF (PdfPig's document builder, Apache-2.0). It uses the
/// PDF standard fonts, so no font files are needed on the server.
/// </summary>
public static class InvoicePdf
{
    public const string ContentType = "application/pdf";

    private const double Left = 50, Right = 545, Top = 790, Bottom = 60, LineHeight = 16;

    public static byte[] Render(Invoice invoice, string organization)
    {
        var culture = CultureInfo.InvariantCulture;
        var builder = new PdfDocumentBuilder();
        builder.DocumentInformation.Title = $"Invoice {invoice.Number}";
        builder.DocumentInformation.Producer = "CostGrains";
        var regular = builder.AddStandard14Font(Standard14Font.Helvetica);
        var bold = builder.AddStandard14Font(Standard14Font.HelveticaBold);

        var page = builder.AddPage(PageSize.A4);
        var y = Top;
        void Text(string text, PdfDocumentBuilder.AddedFont font, double size, double x) => page.AddText(Clean(text), size, new PdfPoint(x, y), font);
        void Amount(string text, PdfDocumentBuilder.AddedFont font)
        {
            var letters = page.MeasureText(Clean(text), 10, new PdfPoint(0, y), font);
            var width = letters.Count == 0 ? 0 : letters[^1].EndBaseLine.X;
            page.AddText(Clean(text), 10, new PdfPoint(Right - width, y), font);
        }

        Text($"Invoice {invoice.Number}", bold, 18, Left);
        y -= 30;
        Text($"Organization: {organization}", regular, 10, Left);
        y -= LineHeight;
        Text($"Billing account: {invoice.AccountName} ({invoice.Account})", regular, 10, Left);
        y -= LineHeight;
        Text($"Period: {invoice.Period} ({invoice.From:yyyy-MM-dd} to {invoice.To:yyyy-MM-dd}, {invoice.TimeZone})", regular, 10, Left);
        y -= LineHeight;
        Text($"Issued: {invoice.IssuedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", culture)}", regular, 10, Left);
        y -= LineHeight * 2;

        void Header()
        {
            Text("Project", bold, 10, Left);
            Text("Category", bold, 10, 330);
            Amount($"Amount ({invoice.Currency})", bold);
            page.DrawLine(new PdfPoint(Left, y - 5), new PdfPoint(Right, y - 5));
            y -= LineHeight + 2;
        }

        Header();
        foreach (var line in invoice.Lines)
        {
            if (y < Bottom + LineHeight * 2)
            {
                page = builder.AddPage(PageSize.A4);
                y = Top;
                Header();
            }

            Text(Fit($"{line.ProjectName} ({line.Project})", 50), regular, 10, Left);
            Text(line.Category, regular, 10, 330);
            Amount(line.Amount.ToString("#,##0.00", culture), regular);
            y -= LineHeight;
        }

        page.DrawLine(new PdfPoint(Left, y + 10), new PdfPoint(Right, y + 10));
        y -= 4;
        Text("Total", bold, 10, Left);
        Amount($"{invoice.Total.ToString("#,##0.00", culture)} {invoice.Currency}", bold);
        return builder.Build();
    }

    private static string Fit(string text, int max) => text.Length <= max ? text : text[..(max - 3)] + "...";

    /// <summary>The standard fonts cover Latin-1: anything else prints as '?'.</summary>
    private static string Clean(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            result.Append(c is >= ' ' and <= '~' or >= '\u00A0' and <= '\u00FF' ? c : '?');
        }

        return result.ToString();
    }
}
