// esbuild bundles the stylesheets the page imports into dist/web/app.css.
declare module '*.css';
