//! Load benchmarks of the runtime: the big pages `bench-server` serves
//! ([`pages`]) and the scenarios `lvt-load` runs against it ([`load`]).

pub mod load;
pub mod pages;
