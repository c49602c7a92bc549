// "Hand off": makes a single-use link (and its QR code) that, opened in
// another browser and confirmed there, joins this browser's session group
// on this page.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-handoff]");
  if (!button) return;
  const panel = document.getElementById("handoff");
  const answer = await fetch("/_lvt/handoff", { method: "POST" });
  const made = await answer.json();
  if (!answer.ok) {
    panel.hidden = false;
    panel.textContent = made.error;
    return;
  }
  const next = encodeURIComponent(location.pathname);
  const link = `${made.absolute_url}?next=${next}`;
  panel.hidden = false;
  panel.querySelector("a.handoff-link").href = link;
  panel.querySelector("a.handoff-link").textContent = link;
  panel.querySelector("img").src = `${made.qr}?next=${next}`;
  panel.querySelector(".handoff-expiry").textContent = `Works once, for ${Math.round(made.expires_in / 60)} minutes; the other browser asks before it joins.`;
});
