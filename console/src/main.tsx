/**
 * The console's entry point: renders the app into `#app` (index.html), then marks the moment
 * (`console:first-render`, a User Timing mark the bench reads for the first render's time).
 */
import { render } from "preact";
import { App } from "./app.tsx";
import "./styles.css";

const root = document.getElementById("app");
if (root) {
  render(<App />, root);
  performance.mark("console:first-render");
}
