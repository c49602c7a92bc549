//! URL Filters: the filters and the page number live in the query string,
//! and `mount` is the only place that reads them. Every filter is a plain
//! link to this page with one parameter changed; the client sends such a
//! link over the open socket (`__navigate__`), the server mounts again
//! with the new query, and the browser's history gets the URL. A bookmark,
//! a reload, a copied URL and Back all go through that same `mount`, so
//! they all show the same results. A value that does not parse
//! (`?page=abc`, `?sort=cheapest`) is named on the page and ignored.

use axum::Router;
use livetemplate::{ActionError, Actions, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

pub struct UrlFilters;

/// The query string, as `mount` reads it (missing parameters: defaults).
#[derive(Clone, Copy, Default, Deserialize)]
#[serde(default)]
pub struct Filters {
    pub department: Option<Department>,
    pub price: Option<Price>,
    pub sort: Sort,
    pub page: Option<u32>,
}

#[derive(Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Department {
    Books,
    Garden,
    Kitchen,
    Music,
    Tools,
}

#[derive(Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Price {
    Under20,
    From20To50,
    Over50,
}

#[derive(Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sort {
    #[default]
    Name,
    PriceLow,
    PriceHigh,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct FiltersState {
    pub products: Vec<Product>,
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
    pub departments: Vec<Choice>,
    pub prices: Vec<Choice>,
    pub sorts: Vec<Choice>,
    pub previous: Option<String>,
    pub next: Option<String>,
    /// Query values that did not parse, and were ignored.
    pub problems: Vec<String>,
}

/// A filter link: where it goes, and whether it is the one in force.
#[derive(Clone, Serialize, Deserialize)]
pub struct Choice {
    pub label: String,
    pub href: String,
    pub current: bool,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Product {
    pub id: u32,
    pub name: String,
    pub department: String,
    pub price: String,
}

const PER_PAGE: usize = 6;

/// Name, department, price in cents.
const STOCK: &[(&str, Department, u32)] = &[
    ("Atlas of Remote Islands", Department::Books, 2400),
    ("The Rust Programming Language", Department::Books, 3900),
    ("Field Guide to Mushrooms", Department::Books, 1850),
    ("Pocket Poetry Anthology", Department::Books, 950),
    ("Bread Baking Handbook", Department::Books, 2750),
    ("Star Charts for Beginners", Department::Books, 1500),
    ("Illustrated History of Maps", Department::Books, 6200),
    ("Bamboo Plant Stakes (50)", Department::Garden, 890),
    ("Copper Watering Can", Department::Garden, 4500),
    ("Heirloom Tomato Seeds", Department::Garden, 450),
    ("Folding Garden Kneeler", Department::Garden, 3600),
    ("Cedar Raised Bed", Department::Garden, 12900),
    ("Pruning Shears", Department::Garden, 2200),
    ("Rain Gauge", Department::Garden, 1200),
    ("Cast Iron Skillet", Department::Kitchen, 4200),
    ("Chef's Knife, 20 cm", Department::Kitchen, 8900),
    ("Wooden Spoon Set", Department::Kitchen, 1400),
    ("Pour-over Coffee Dripper", Department::Kitchen, 2600),
    ("Digital Kitchen Scale", Department::Kitchen, 1990),
    ("Stand Mixer", Department::Kitchen, 34900),
    ("Linen Tea Towels (3)", Department::Kitchen, 1800),
    ("Ukulele, Soprano", Department::Music, 5900),
    ("Harmonica in C", Department::Music, 2900),
    ("Guitar Strings, Light", Department::Music, 850),
    ("Metronome", Department::Music, 2450),
    ("Studio Headphones", Department::Music, 9900),
    ("Cajón Drum", Department::Music, 11500),
    ("Kalimba, 17 Keys", Department::Music, 3200),
    ("Claw Hammer", Department::Tools, 1900),
    ("Cordless Drill", Department::Tools, 8900),
    ("Spirit Level, 60 cm", Department::Tools, 2100),
    ("Screwdriver Set (12)", Department::Tools, 2800),
    ("Tape Measure, 5 m", Department::Tools, 990),
    ("Hand Saw", Department::Tools, 2350),
    ("Workbench Vise", Department::Tools, 6400),
];

impl Department {
    const ALL: [Department; 5] = [
        Department::Books,
        Department::Garden,
        Department::Kitchen,
        Department::Music,
        Department::Tools,
    ];

    fn label(self) -> &'static str {
        match self {
            Department::Books => "Books",
            Department::Garden => "Garden",
            Department::Kitchen => "Kitchen",
            Department::Music => "Music",
            Department::Tools => "Tools",
        }
    }
}

impl Price {
    const ALL: [Price; 3] = [Price::Under20, Price::From20To50, Price::Over50];

    fn label(self) -> &'static str {
        match self {
            Price::Under20 => "Under €20",
            Price::From20To50 => "€20 – €50",
            Price::Over50 => "Over €50",
        }
    }

    fn admits(self, cents: u32) -> bool {
        match self {
            Price::Under20 => cents < 2000,
            Price::From20To50 => (2000..=5000).contains(&cents),
            Price::Over50 => cents > 5000,
        }
    }
}

impl Sort {
    const ALL: [Sort; 3] = [Sort::Name, Sort::PriceLow, Sort::PriceHigh];

    fn label(self) -> &'static str {
        match self {
            Sort::Name => "Name",
            Sort::PriceLow => "Price, low to high",
            Sort::PriceHigh => "Price, high to low",
        }
    }
}

impl Filters {
    /// The link to these filters: only what differs from the defaults, in
    /// a fixed order, so one set of filters has one URL. (Every value is a
    /// fixed word or a number: nothing to percent-encode.)
    fn href(self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = self.department {
            parts.push(format!("department={}", slug(d)));
        }
        if let Some(p) = self.price {
            parts.push(format!("price={}", slug(p)));
        }
        if self.sort != Sort::Name {
            parts.push(format!("sort={}", slug(self.sort)));
        }
        if let Some(page) = self.page.filter(|&p| p > 1) {
            parts.push(format!("page={page}"));
        }
        format!("?{}", parts.join("&"))
    }

    /// These filters with `change` made, back on the first page.
    fn with(self, change: impl FnOnce(&mut Filters)) -> Filters {
        let mut next = Filters { page: None, ..self };
        change(&mut next);
        next
    }
}

/// A value's name in the URL, as serde writes it.
fn slug(value: impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn euros(cents: u32) -> String {
    format!("€{}.{:02}", cents / 100, cents % 100)
}

impl Controller for UrlFilters {
    type State = FiltersState;

    fn actions(_: &mut Actions<Self>) {}

    /// Everything this page shows comes from the URL.
    fn mount(&self, ctx: &MountContext) -> Result<FiltersState, ActionError> {
        let query = ctx.query_as::<Filters>();
        let mut problems: Vec<String> = query.errors.iter().map(|e| e.to_string()).collect();
        let filters = query.value;

        let mut found: Vec<(u32, &(&str, Department, u32))> = (1..)
            .zip(STOCK)
            .filter(|(_, (_, d, cents))| {
                filters.department.map_or(true, |want| want == *d)
                    && filters.price.map_or(true, |band| band.admits(*cents))
            })
            .collect();
        match filters.sort {
            Sort::Name => found.sort_by_key(|(_, (name, _, _))| *name),
            Sort::PriceLow => found.sort_by_key(|(_, (_, _, cents))| *cents),
            Sort::PriceHigh => found.sort_by_key(|(_, (_, _, cents))| std::cmp::Reverse(*cents)),
        }

        let pages = found.len().div_ceil(PER_PAGE).max(1);
        let asked = filters.page.unwrap_or(1).max(1) as usize;
        let page = asked.min(pages);
        if asked > pages {
            problems.push(format!(
                "There is no page {asked}: showing page {page} of {pages}."
            ));
        }
        let at = |n: usize| filters.with(|f| f.page = Some(n as u32)).href();

        Ok(FiltersState {
            matching: found.len(),
            products: found
                .iter()
                .skip((page - 1) * PER_PAGE)
                .take(PER_PAGE)
                .map(|&(id, &(name, d, cents))| Product {
                    id,
                    name: name.to_string(),
                    department: d.label().to_string(),
                    price: euros(cents),
                })
                .collect(),
            page,
            pages,
            departments: std::iter::once(None)
                .chain(Department::ALL.map(Some))
                .map(|d| Choice {
                    label: d.map_or("All", Department::label).to_string(),
                    href: filters.with(|f| f.department = d).href(),
                    current: filters.department == d,
                })
                .collect(),
            prices: std::iter::once(None)
                .chain(Price::ALL.map(Some))
                .map(|p| Choice {
                    label: p.map_or("Any price", Price::label).to_string(),
                    href: filters.with(|f| f.price = p).href(),
                    current: filters.price == p,
                })
                .collect(),
            sorts: Sort::ALL
                .map(|s| Choice {
                    label: s.label().to_string(),
                    href: filters.with(|f| f.sort = s).href(),
                    current: filters.sort == s,
                })
                .to_vec(),
            previous: (page > 1).then(|| at(page - 1)),
            next: (page < pages).then(|| at(page + 1)),
            problems,
        })
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Search,
    slug: "url-filters",
    title: "URL Filters",
    summary: "Department, price band, sort order and page number are all in the query string, and mount() is the only code that reads them. \
              Each filter is a plain link with one parameter changed: the client sends it over the open socket as __navigate__, the server \
              mounts again with the new query, and the URL goes into the browser's history. So a bookmark, a reload, a copied link and \
              Back/Forward all land on the same results. A value that does not parse is named on the page and ignored.",
    try_it: "Click Kitchen, then \"Price, high to low\", then Next: the URL follows each click. Reload, or paste the URL into a private \
             window: the same page 2 of 2. Press Back twice: Kitchen sorted by name. Then put ?page=abc&sort=cheapest in the URL.",
    template: "search/url-filters.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/search/url-filters`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, UrlFilters))
}
