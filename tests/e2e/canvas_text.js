// Injected before the page loads: remembers every text drawn on a canvas with where it starts, how wide it is and
// the clip rectangle it is drawn in (all in canvas pixels), in window.__drawn.
(() => {
  const P = CanvasRenderingContext2D.prototype;
  const state = new WeakMap();
  const of = (ctx) => {
    let s = state.get(ctx);
    if (!s) { s = { clip: null, stack: [], rect: null }; state.set(ctx, s); }
    return s;
  };
  const across = (ctx, x, w) => { const m = ctx.getTransform(); return { x: m.a * x + m.e, w: m.a * w }; };
  const { save, restore, rect, clip, fillText, beginPath } = P;
  P.save = function (...args) { const s = of(this); s.stack.push(s.clip); return save.apply(this, args); };
  P.restore = function (...args) {
    const s = of(this); s.clip = s.stack.length ? s.stack.pop() : null; return restore.apply(this, args);
  };
  P.beginPath = function (...args) { of(this).rect = null; return beginPath.apply(this, args); };
  P.rect = function (x, y, w, h) { of(this).rect = across(this, x, w); return rect.call(this, x, y, w, h); };
  P.clip = function (...args) { const s = of(this); if (s.rect) s.clip = s.rect; return clip.apply(this, args); };
  P.fillText = function (text, x, y, ...args) {
    const at = across(this, x, this.measureText(String(text)).width);
    (window.__drawn = window.__drawn || []).push({ text: String(text), x: at.x, w: at.w, clip: of(this).clip });
    return fillText.call(this, text, x, y, ...args);
  };
})();
