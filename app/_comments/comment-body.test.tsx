import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { CommentBody } from "./comment-body";
import { badgeNumber, openCommentsText, timeAgo } from "./comment-words";

describe("CommentBody", () => {
  it("draws HTML and script bodies as text, never as markup", () => {
    const script = renderToStaticMarkup(<CommentBody body="<script>alert('x')</script>" deleted={false} />);
    expect(script).not.toContain("<script>");
    expect(script).toContain("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;");
    const image = renderToStaticMarkup(
      <CommentBody body={'<img src=x onerror="alert(1)">'} deleted={false} />,
    );
    expect(image).not.toContain("<img");
    expect(image).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });

  it("shows a deleted comment as deleted, without its text", () => {
    const html = renderToStaticMarkup(<CommentBody body="secret" deleted={true} />);
    expect(html).toContain("Comment deleted");
    expect(html).not.toContain("secret");
  });
});

describe("comment words", () => {
  it("counts and times in plain words", () => {
    expect(openCommentsText(1)).toBe("1 open comment");
    expect(openCommentsText(3)).toBe("3 open comments");
    expect(badgeNumber(120)).toBe("99+");
    const now = new Date("2026-11-30T12:00:00Z");
    expect(timeAgo(new Date("2026-11-30T11:59:50Z"), now)).toBe("just now");
    expect(timeAgo(new Date("2026-11-30T11:55:00Z"), now)).toBe("5 min ago");
    expect(timeAgo(new Date("2026-11-29T12:00:00Z"), now)).toBe("yesterday");
    expect(timeAgo(new Date("2026-11-01T12:00:00Z"), now)).toBe("2026-11-01");
  });
});
