/**
 * The stylesheet main.tsx imports for its side effect: Vite bundles it, and it exports nothing the
 * code reads. TypeScript 7 checks side-effect imports (`noUncheckedSideEffectImports` is on by
 * default), and a `.css` file has no types of its own: this says it is a module.
 */
declare module "*.css";
