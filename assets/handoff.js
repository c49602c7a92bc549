// "Hand off": makes a single-use link (and its QR code) that, opened in
// another browser and confirmed there, joins this browser's session group
// on this page. The QR code carries the address a phone on this network can
// open (the machine's LAN address); when there is none, the panel says why.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-handoff]");
  if (!button) return;
  const panel = document.getElementById("handoff");
  const [answer, reach] = await Promise.all([
    fetch("/_lvt/handoff", { method: "POST" }),
    fetch("/api/reach.json").then((r) => r.json()),
  ]);
  const made = await answer.json();
  if (!answer.ok) {
    panel.hidden = false;
    panel.textContent = made.error;
    return;
  }
  const next = encodeURIComponent(location.pathname);
  const path = `${made.url}?next=${next}`;
  const link = reach.phone_base ? `${reach.phone_base}${path}` : `${made.absolute_url}?next=${next}`;
  const img = panel.querySelector("img");
  panel.hidden = false;
  panel.querySelector("a.handoff-link").href = link;
  panel.querySelector("a.handoff-link").textContent = link;
  if (reach.phone_base) {
    img.hidden = false;
    img.src = `/api/handoff-qr.svg?link=${encodeURIComponent(path)}`;
    panel.querySelector(".handoff-note").textContent = "";
  } else {
    img.hidden = true;
    panel.querySelector(".handoff-note").textContent = `No QR code for a phone: ${reach.why}. Another browser on this computer can open the link.`;
  }
  panel.querySelector(".handoff-expiry").textContent = `Works once, for ${Math.round(made.expires_in / 60)} minutes; the other browser asks before it joins.`;
});
