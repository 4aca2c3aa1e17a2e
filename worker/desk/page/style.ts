/** The page's stylesheet, served at /desk/app.css (CSP allows no inline style). */
export const DESK_STYLE = `body{font-family:system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#1f2328}
header{display:flex;align-items:baseline;gap:1rem}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
.status{font-size:.9rem;color:#57606a}.error{color:#cf222e}.empty{color:#57606a}
ul{list-style:none;padding:0}.approvals>li{border:1px solid #d0d7de;border-radius:6px;padding:.8rem;margin:.6rem 0}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 .5rem}.meta dt{font-weight:600}.meta dd{margin:0}
pre,textarea{font:12px ui-monospace,monospace;background:#f6f8fa;padding:.5rem;border-radius:4px;overflow:auto;max-height:16rem}
textarea{width:100%;min-height:8rem;box-sizing:border-box}
button{padding:.3rem .9rem;font:inherit;margin:.3rem .4rem .3rem 0;cursor:pointer}input{font:inherit;padding:.3rem}
.log li{font-size:.9rem;padding:.15rem 0}.server{border-top:1px solid #d0d7de;padding:.4rem 0}
.cap{display:inline-block;margin:.1rem .8rem .1rem 0}.cap.off{color:#8c959f}`;
