//! Value Select: two selects where the second's options follow the first.
//! With a `change` handler, the stock client sends each named select's new
//! value as it changes; the server fills the city list for the country and
//! the reply carries the new options.

use axum::Router;
use livetemplate::{ActionError, Actions, Context, Controller, LiveError, MountContext};
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Example, Gallery};

/// Countries, their cities and roughly how many people live there.
const PLACES: &[(&str, &[(&str, &str)])] = &[
    (
        "Brazil",
        &[
            ("São Paulo", "11.5 million"),
            ("Rio de Janeiro", "6.2 million"),
            ("Brasília", "2.8 million"),
        ],
    ),
    (
        "Canada",
        &[
            ("Toronto", "2.8 million"),
            ("Montréal", "1.8 million"),
            ("Calgary", "1.3 million"),
            ("Vancouver", "0.7 million"),
        ],
    ),
    (
        "France",
        &[
            ("Paris", "2.1 million"),
            ("Marseille", "0.9 million"),
            ("Lyon", "0.5 million"),
            ("Toulouse", "0.5 million"),
        ],
    ),
    (
        "Japan",
        &[
            ("Tokyo", "14 million"),
            ("Osaka", "2.8 million"),
            ("Sapporo", "2 million"),
            ("Kyoto", "1.5 million"),
        ],
    ),
    (
        "Kenya",
        &[
            ("Nairobi", "4.4 million"),
            ("Mombasa", "1.2 million"),
            ("Kisumu", "0.6 million"),
        ],
    ),
];

pub struct ValueSelect;

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ValueSelectState {
    pub countries: Vec<String>,
    pub country: String,
    /// The chosen country's cities (none before a country is chosen).
    pub cities: Vec<City>,
    pub city: String,
    /// How many people live in the chosen city.
    pub people: String,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct City {
    pub name: String,
    pub people: String,
}

impl Controller for ValueSelect {
    type State = ValueSelectState;

    fn actions(actions: &mut Actions<Self>) {
        actions.on("change", ValueSelect::change);
    }

    fn mount(&self, _: &MountContext) -> Result<ValueSelectState, ActionError> {
        Ok(ValueSelectState {
            countries: PLACES.iter().map(|(c, _)| c.to_string()).collect(),
            ..ValueSelectState::default()
        })
    }
}

impl ValueSelect {
    /// One select changed: `{"country": …}` or `{"city": …}`.
    fn change(
        &self,
        state: &mut ValueSelectState,
        ctx: &mut Context<Self>,
    ) -> Result<(), ActionError> {
        if let Some(country) = ctx.get_string("country") {
            let cities = PLACES
                .iter()
                .find(|(c, _)| *c == country)
                .map_or(&[][..], |(_, cities)| cities);
            state.cities = cities
                .iter()
                .map(|(name, people)| City {
                    name: name.to_string(),
                    people: people.to_string(),
                })
                .collect();
            // "" (the prompt) or a name the list does not have clears the choice.
            state.country = if cities.is_empty() {
                String::new()
            } else {
                country
            };
            state.city.clear();
            state.people.clear();
        }
        if let Some(city) = ctx.get_string("city") {
            let found = state.cities.iter().find(|c| c.name == city);
            state.people = found.map(|c| c.people.clone()).unwrap_or_default();
            state.city = found.map(|c| c.name.clone()).unwrap_or_default();
        }
        Ok(())
    }
}

pub const EXAMPLE: Example = Example {
    category: Category::Lists,
    slug: "value-select",
    title: "Value Select",
    summary: "Cascading selects: choosing a country sends a change action (the stock client wires named selects by itself once the page handles change); \
              the server fills the city select with that country's cities and enables it, and choosing a city shows how many people live there.",
    try_it: "Choose Japan: the city select comes alive with Tokyo, Osaka, Sapporo and Kyoto. Choose Kyoto: the page says about 1.5 million people live there. Switch to Kenya: the cities change and the choice is cleared.",
    template: "lists/value-select.html",
    sign_in: false,
    source: crate::this_file!(),
    also: &[],
    routes,
};

/// The page, in the gallery's example layout at `/lists/value-select`.
fn routes(gallery: &Gallery) -> Result<Router, LiveError> {
    gallery.show(&EXAMPLE, gallery.live.page(EXAMPLE.template, ValueSelect))
}
