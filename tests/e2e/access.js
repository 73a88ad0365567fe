// What axe-core does not test, measured in the window from computed styles (injected by
// tests/e2e/test_access.py, never part of the app): the edge of every input and button against
// what surrounds it (WCAG 1.4.11, 3:1), and the keyboard focus indicator (2.4.7 visible, 2.4.11
// not hidden by anything, with a 3:1 outline so it can be seen at all).
window.__access = (() => {
  // "rgb(1, 2, 3)" or "rgba(1, 2, 3, 0.5)" as [r, g, b, a], channels 0–255.
  function parse(color) {
    const parts = /rgba?\(([^)]+)\)/.exec(color);
    if (!parts) throw new Error(`a colour this check cannot read: ${color}`);
    const [r, g, b, a = "1"] = parts[1].split(/[,\s/]+/).filter(Boolean);
    return [Number(r), Number(g), Number(b), Number(a)];
  }

  function over(top, bottom) {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
  }

  function luminance([r, g, b]) {
    const lin = (c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  }

  function ratio(x, y) {
    const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p);
    return Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
  }

  /** What shows behind an element: its ancestors' backgrounds, from <html> (over the webview's
   * white) down to its parent. */
  function backdrop(el) {
    const chain = [];
    for (let e = el.parentElement; e; e = e.parentElement) chain.unshift(e);
    return chain.reduce((below, e) => over(parse(getComputedStyle(e).backgroundColor), below), [255, 255, 255, 1]);
  }

  function shown(el) {
    return el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  }

  const name = (el) => (el.id ? `#${el.id}` : el.tagName.toLowerCase());

  /** Each shown, enabled input and button: how well its edge stands out. Either its fill differs
   * from what surrounds it by 3:1, or its border does, from both that and its own fill. */
  function controls() {
    return [...document.querySelectorAll("input, button, select, textarea")]
      .filter((el) => shown(el) && !el.disabled)
      .map((el) => {
        const style = getComputedStyle(el);
        const outside = backdrop(el);
        const inside = over(parse(style.backgroundColor), outside);
        const border = over(parse(style.borderTopColor), outside);
        const drawn = style.borderTopStyle !== "none" && parseFloat(style.borderTopWidth) >= 1;
        const edge = Math.max(ratio(inside, outside), drawn ? Math.min(ratio(border, outside), ratio(border, inside)) : 0);
        return { control: name(el), edge, ok: edge >= 3 };
      });
  }

  /** The focused element (null when nothing is) and whether its focus can be seen. */
  function focus() {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const style = getComputedStyle(el);
    const width = parseFloat(style.outlineWidth) || 0;
    const outline = style.outlineStyle === "none" || width === 0 ? 0 : ratio(over(parse(style.outlineColor), backdrop(el)), backdrop(el));
    const box = el.getBoundingClientRect();
    const x = box.left + box.width / 2;
    const y = box.top + box.height / 2;
    const inView = box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth;
    const top = inView ? document.elementFromPoint(x, y) : null;
    const seen = top !== null && (top === el || el.contains(top));
    return {
      element: name(el),
      focusVisible: el.matches(":focus-visible"),
      outline,
      width,
      seen,
      ok: el.matches(":focus-visible") && width >= 2 && outline >= 3 && seen,
    };
  }

  /** The page's colour scheme as the window paints it: <html>'s background (<body> has none). */
  function scheme() {
    return {
      dark: matchMedia("(prefers-color-scheme: dark)").matches,
      background: luminance(over(parse(getComputedStyle(document.documentElement).backgroundColor), [255, 255, 255, 1])),
    };
  }

  return { controls, focus, scheme };
})();
